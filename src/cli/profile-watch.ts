/**
 * Watching a profile file for reloads. A change is read only once the file has been stable (same size and
 * modification time) for a debounce interval, so a slow or partial write is never half-applied; the path
 * is polled, so an editor's rename-over write (a new inode) is picked up whole. Unchanged text is ignored.
 */
import { type Stats, unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';

const POLL_MS = 100;
export const DEBOUNCE_MS = 300;

export function watchProfile(file: string, initialText: string, onChange: (text: string) => void): () => void {
  let last = initialText;
  let settle: NodeJS.Timeout | undefined;
  const listener = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
    // Every further change restarts the wait: read only after DEBOUNCE_MS of quiet.
    clearTimeout(settle);
    settle = setTimeout(() => {
      void readFile(file, 'utf8').then(
        (text) => {
          if (text === last) return;
          last = text;
          onChange(text);
        },
        () => {},
      );
    }, DEBOUNCE_MS);
  };
  watchFile(file, { interval: POLL_MS }, listener);
  return () => {
    clearTimeout(settle);
    unwatchFile(file, listener);
  };
}
