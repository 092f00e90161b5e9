/**
 * Watching a profile file for reloads. A change is reported only once the file has been stable (same inode, size
 * and modification time) for a debounce interval, so a slow or partial write is never half-applied. Whether the
 * text really changed is the caller's to judge (it also reloads on SIGHUP, and knows what it last applied).
 *
 * The file's directory is watched (inotify on Linux): an editor's rename-over write (a new inode) and Kubernetes'
 * ConfigMap update (a `..data` symlink swapped in the directory; the file's own name never appears) are events
 * there, and each event is checked against the file's stat. Polling the path every 100 ms, as this did alone, woke
 * an idle gateway 45 times a second (a stat on the thread pool, then the loop). The path is still polled, slowly,
 * for a filesystem that reports nothing (NFS, some container bind mounts) or a profile linked from elsewhere — and
 * at the old pace when the directory cannot be watched at all.
 */
import { type FSWatcher, type Stats, stat, statSync, unwatchFile, watch, watchFile } from 'node:fs';
import { dirname } from 'node:path';

/** The poll beside a directory watch. */
export const FALLBACK_POLL_MS = 1000;
/** The poll when the directory cannot be watched. */
export const POLL_MS = 100;
const DEBOUNCE_MS = 300;
/** Events of one write come in a burst: one stat for all of them. */
const CHECK_DELAY_MS = 20;

/** What tells a change: as fs.watchFile reports a missing file (every field 0). */
const identity = (s: Pick<Stats, 'ino' | 'size' | 'mtimeMs'> | undefined): string => (s ? `${s.ino}:${s.size}:${s.mtimeMs}` : '0:0:0');

export function watchProfile(file: string, onChange: () => void): () => void {
  let settle: NodeJS.Timeout | undefined;
  let check: NodeJS.Timeout | undefined;
  let last = identity(statSync(file, { throwIfNoEntry: false }));
  let closed = false;
  // Every change restarts the wait: reported only after DEBOUNCE_MS of quiet.
  const seen = (now: string) => {
    if (closed || now === last) return;
    last = now;
    clearTimeout(settle);
    settle = setTimeout(onChange, DEBOUNCE_MS);
  };
  const polled = (cur: Stats) => seen(identity(cur));
  const checkSoon = () => {
    check ??= setTimeout(() => {
      check = undefined;
      stat(file, (err, s) => seen(identity(err ? undefined : s)));
    }, CHECK_DELAY_MS);
  };
  let interval = FALLBACK_POLL_MS;
  let dir: FSWatcher | undefined;
  try {
    dir = watch(dirname(file), checkSoon);
    // The directory gone or unreadable later: back to polling at the old pace.
    dir.on('error', () => {
      dir?.close();
      dir = undefined;
      if (closed) return;
      unwatchFile(file, polled);
      watchFile(file, { interval: POLL_MS }, polled);
    });
  } catch {
    interval = POLL_MS;
  }
  watchFile(file, { interval }, polled);
  // fs.watchFile takes its first look later, as the directory's watch begins: a write before then is found here.
  checkSoon();
  return () => {
    closed = true;
    clearTimeout(settle);
    clearTimeout(check);
    dir?.close();
    unwatchFile(file, polled);
  };
}
