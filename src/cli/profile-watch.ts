/**
 * Watching a profile file for reloads. A change is reported only once the file has been stable (same inode, size
 * and modification time) for a debounce interval, so a slow or partial write is never half-applied. Whether the
 * text really changed is the caller's to judge (it also reloads on SIGHUP, and knows what it last applied).
 *
 * The file itself is watched (inotify on Linux, through a symlink to what it names): a write in place is an event,
 * and so is the unlink of the inode watched — an editor's rename-over write, Kubernetes' ConfigMap update (the
 * `..data` link swapped, the old version's directory removed) — after which the watch is armed again on what the
 * path names now. Not the directory: a log written next to the profile would wake the gateway on every line.
 * Polling the path every 100 ms, as this did alone, woke an idle gateway 45 times a second (a stat on the thread
 * pool, then the loop). The path is still polled, slowly, for what no watch sees: a filesystem that reports nothing
 * (NFS, some container bind mounts), a symlink pointed elsewhere — and at the old pace while nothing is watched (the
 * profile deleted, inotify refusing at its limits). A change is reported only after a last look at the path finds it
 * as it was last seen: a write no event told of yet (a loop that stalled, a file made while none was watched) waits.
 */
import { type FSWatcher, type Stats, stat, statSync, unwatchFile, watch, watchFile } from 'node:fs';

/** The poll beside a watch. */
export const FALLBACK_POLL_MS = 1000;
/** The poll when the file is not watched: inotify refused, or the file is missing. */
export const POLL_MS = 100;
const DEBOUNCE_MS = 300;
/** Events of one write come in a burst: one stat for all of them. */
const CHECK_DELAY_MS = 20;

type Seen = Pick<Stats, 'ino' | 'size' | 'mtimeMs'> | undefined;
/** What tells a change: as fs.watchFile reports a missing file (every field 0). */
const identity = (s: Seen): string => (s ? `${s.ino}:${s.size}:${s.mtimeMs}` : '0:0:0');

/** The file as the watch begins; a path that cannot be stat'ed (gone, a symlink loop by now) counts as missing. */
function firstLook(file: string): Stats | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

export function watchProfile(file: string, onChange: () => void): () => void {
  let settle: NodeJS.Timeout | undefined;
  let check: NodeJS.Timeout | undefined;
  let closed = false;
  let watcher: FSWatcher | undefined;
  let watchedIno = -1;
  const checkSoon = () => {
    check ??= setTimeout(() => {
      check = undefined;
      stat(file, (err, s) => seen(err ? undefined : s));
    }, CHECK_DELAY_MS);
  };
  /**
   * Watches the inode the path names now; false when nothing is watched — inotify refused, or the file is missing:
   * then the path is polled at the old pace, so a profile written again is seen (and watched) within 100 ms.
   */
  const arm = (ino: number): boolean => {
    watcher?.close();
    watcher = undefined;
    watchedIno = ino;
    if (ino <= 0) return false;
    try {
      // 'rename': the inode watched was unlinked or moved (its watch may be dead by now). The path may name a new
      // inode with the same number (ext4 reuses a freed one at once): armed again on the next check whatever its number.
      watcher = watch(file, (event) => {
        if (event === 'rename') watchedIno = -1;
        checkSoon();
      });
      // The inode gone from under it (some kernels report it so): the next check arms the path's new one.
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
        watchedIno = -1;
        checkSoon();
      });
      return true;
    } catch (e) {
      // Gone between the stat and the watch: armed on the next check, whatever number the path's inode has then.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') watchedIno = -1;
      return false;
    }
  };
  // The poll's pace follows whether the inode is watched: re-armed and refused later (inotify's limit reached since
  // start), the path is polled at the old pace again.
  let pollMs = 0;
  const poll = (ms: number) => {
    if (ms === pollMs) return;
    const switched = pollMs > 0;
    if (switched) unwatchFile(file, polled);
    pollMs = ms;
    watchFile(file, { interval: ms }, polled);
    // A new poll's first look is its baseline, reported to no one: a write meanwhile is found by a check.
    if (switched) checkSoon();
  };
  const initial = firstLook(file);
  let last = identity(initial);
  // Every change restarts the wait: reported only after DEBOUNCE_MS of quiet.
  const seen = (s: Seen) => {
    if (closed) return;
    const ino = s?.ino ?? 0;
    if (ino !== watchedIno) poll(arm(ino) ? FALLBACK_POLL_MS : POLL_MS);
    const now = identity(s);
    if (now === last) return;
    last = now;
    clearTimeout(settle);
    settle = setTimeout(settled, DEBOUNCE_MS);
  };
  // Quiet for DEBOUNCE_MS as far as the events and polls tell — confirmed by a look at the path itself: a write no
  // watch reported (a file created while none was armed) or one the loop had not yet heard of (a stall) restarts the wait.
  const settled = () =>
    stat(file, (err, s) => {
      if (closed) return;
      const cur = err ? undefined : s;
      if (identity(cur) === last) onChange();
      else seen(cur);
    });
  function polled(cur: Stats) {
    seen(cur.ino ? cur : undefined);
  }
  poll(arm(initial?.ino ?? 0) ? FALLBACK_POLL_MS : POLL_MS);
  // fs.watchFile takes its first look later: a write before then is found here.
  checkSoon();
  return () => {
    closed = true;
    clearTimeout(settle);
    clearTimeout(check);
    watcher?.close();
    unwatchFile(file, polled);
  };
}
