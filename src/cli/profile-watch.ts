/**
 * Watching a profile file for reloads. A change is reported only once the file has been stable (same size
 * and modification time) for a debounce interval, so a slow or partial write is never half-applied; the
 * path is polled, so an editor's rename-over write (a new inode) is picked up whole. Whether the text
 * really changed is the caller's to judge (it also reloads on SIGHUP, and knows what it last applied).
 */
import { type Stats, unwatchFile, watchFile } from 'node:fs';

const POLL_MS = 100;
const DEBOUNCE_MS = 300;

export function watchProfile(file: string, onChange: () => void): () => void {
  let settle: NodeJS.Timeout | undefined;
  const listener = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
    // Every further change restarts the wait: report only after DEBOUNCE_MS of quiet.
    clearTimeout(settle);
    settle = setTimeout(onChange, DEBOUNCE_MS);
  };
  watchFile(file, { interval: POLL_MS }, listener);
  return () => {
    clearTimeout(settle);
    unwatchFile(file, listener);
  };
}
