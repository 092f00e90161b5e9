// The profile watcher (`aigw serve` reloads on a change of its file): each way a profile is rewritten in
// practice is reported once, after it settles; what else happens in its directory is not a change.
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FALLBACK_POLL_MS, POLL_MS, watchProfile } from '../../../src/cli/profile-watch.js';

/**
 * The poll intervals asked of fs.watchFile, by path (the watcher's own use of the real one, observed); and inotify
 * refusing a path named `refused.yaml`, as it does past its limits (ENOSPC).
 */
const polls = vi.hoisted(() => new Map<string, number>());
/** fs.watch calls by path; `refused-later.yaml` is refused from its second watch on (the limit reached since start). */
const watches = vi.hoisted(() => new Map<string, number>());
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    watch: (...args: Parameters<typeof real.watch>) => {
      const path = String(args[0]);
      const n = (watches.get(path) ?? 0) + 1;
      watches.set(path, n);
      if (path.endsWith('/refused.yaml') || (path.endsWith('/refused-later.yaml') && n > 1))
        throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
      return real.watch(...args);
    },
    watchFile: (file: string, opts: { interval: number }, listener: (c: import('node:fs').Stats, p: import('node:fs').Stats) => void) => {
      polls.set(file, opts.interval);
      return real.watchFile(file, opts, listener);
    },
  };
});

const undo: (() => void)[] = [];
afterEach(() => {
  for (let f = undo.pop(); f; f = undo.pop()) f();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-watch-'));
  undo.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A profile file (`version: 1`) in `dir`, a fresh temporary directory unless given. */
function profileIn(dir = tempDir(), name = 'profile.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, 'version: 1\n');
  return file;
}

/**
 * Writes `file` in place slowly, a line every 30 ms for 1.8 s — never still for the 300-ms debounce, and longer than
 * the 1-s fallback poll's period: a watcher left with that poll alone reports it half-written. `stall`: the process
 * busy for a while after a line.
 */
async function slowWrite(file: string, stall?: { afterLine: number; ms: number }): Promise<string> {
  const lines = ['version: 1\n', ...Array.from({ length: 60 }, (_, i) => `# line ${i}\n`)];
  const fd = openSync(file, 'w');
  for (const [i, line] of lines.entries()) {
    writeSync(fd, line);
    // The process busy, as on a loaded machine: the loop hears of no event meanwhile.
    if (i === stall?.afterLine) for (const end = Date.now() + stall.ms; Date.now() < end; );
    await sleep(30);
  }
  closeSync(fd);
  return lines.join('');
}

/** Watches `file`, keeping what it held at each report ('<missing>' when gone, '<not a file>' for anything else). */
function reportsOf(file: string): string[] {
  const reported: string[] = [];
  undo.push(
    watchProfile(file, () => {
      // Only a regular file is read (opening a FIFO waits for a writer), as serve's reload reads one.
      try {
        const s = statSync(file, { throwIfNoEntry: false });
        reported.push(s === undefined ? '<missing>' : s.isFile() ? readFileSync(file, 'utf8') : '<not a file>');
      } catch {
        reported.push('<unreadable>');
      }
    }),
  );
  return reported;
}

/** After a first report: a slow write in place is the next report, whole, and the only one. */
async function expectSlowWriteWhole(file: string, reported: string[]): Promise<void> {
  await sleep(1_200);
  const whole = await slowWrite(file);
  await until(() => reported.length >= 2, 5_000);
  await sleep(1_200);
  expect(reported.slice(1)).toEqual([whole]);
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await sleep(10);
  }
}

describe('watching a profile file', () => {
  it('reports a write in place once, after it settles', async () => {
    const file = profileIn();
    const reported = reportsOf(file);
    writeFileSync(file, 'version: 1\n# edited\n');
    await until(() => reported.length === 1, 5_000);
    await sleep(500);
    expect(reported.length).toBe(1);
  });

  it('reports an editor’s rename-over write (a new inode)', async () => {
    const dir = tempDir();
    const file = profileIn(dir);
    const reported = reportsOf(file);
    writeFileSync(join(dir, '.profile.yaml.tmp'), 'version: 1\n# saved\n');
    renameSync(join(dir, '.profile.yaml.tmp'), file);
    await until(() => reported.length === 1, 5_000);
  });

  it('reports a Kubernetes ConfigMap update: the ..data link swapped, the file’s own name untouched', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'profile.yaml'), 'version: 1\n');
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'profile.yaml'), join(dir, 'profile.yaml'));
    const reported = reportsOf(join(dir, 'profile.yaml'));
    // As kubelet's atomic writer does it: a new directory, a new link, renamed over the old one.
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'profile.yaml'), 'version: 1\n# v2, longer\n');
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..v1'), { recursive: true });
    await until(() => reported.length === 1, 5_000);
  });

  it('does not take other files written next to it for a change, nor let them hold one back', async () => {
    const dir = tempDir();
    const file = profileIn(dir);
    const reported = reportsOf(file);
    const busy = setInterval(() => writeFileSync(join(dir, 'gateway.log'), `${Date.now()}\n`, { flag: 'a' }), 5);
    undo.push(() => clearInterval(busy));
    await sleep(1_000);
    expect(reported.length).toBe(0);
    writeFileSync(file, 'version: 1\n# edited while the log grows\n');
    await until(() => reported.length === 1, 5_000);
  });

  it('sees a profile linked from another directory written at its real place', async () => {
    const real = join(tempDir(), 'real.yaml');
    writeFileSync(real, 'version: 1\n');
    const link = join(tempDir(), 'profile.yaml');
    symlinkSync(real, link);
    const reported = reportsOf(link);
    // Past the watcher's first look: only its poll of the path can see this.
    await sleep(200);
    writeFileSync(real, 'version: 1\n# edited at its real place\n');
    await until(() => reported.length === 1, FALLBACK_POLL_MS * 3 + 2_000);
  });

  // The poll alone, every 100 ms, woke an idle gateway 45 times a second (measured with strace): beside the file's
  // watch it is a fallback, once a second; at the old pace only where inotify refuses.
  it('polls the path once a second beside the watch, ten times a second where nothing is watched', async () => {
    const dir = tempDir();
    const file = profileIn(dir);
    reportsOf(file);
    expect(polls.get(file)).toBe(FALLBACK_POLL_MS);
    // Missing: nothing to watch, so the old pace, and a profile written there is seen within 100 ms.
    const missing = join(dir, 'not-yet.yaml');
    reportsOf(missing);
    expect(polls.get(missing)).toBe(POLL_MS);
    const refused = join(dir, 'refused.yaml');
    writeFileSync(refused, 'version: 1\n');
    const reported = reportsOf(refused);
    expect(polls.get(refused)).toBe(POLL_MS);
    await sleep(200);
    writeFileSync(refused, 'version: 1\n# polled\n');
    await until(() => reported.length === 1, 5_000);
  });

  it('sees a symlink pointed at another file (the slow poll)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), 'version: 1\n');
    writeFileSync(join(dir, 'b.yaml'), 'version: 1\n# b\n');
    symlinkSync('a.yaml', join(dir, 'profile.yaml'));
    const reported = reportsOf(join(dir, 'profile.yaml'));
    await sleep(200);
    symlinkSync('b.yaml', join(dir, 'tmp-link'));
    renameSync(join(dir, 'tmp-link'), join(dir, 'profile.yaml'));
    await until(() => reported.length === 1, FALLBACK_POLL_MS * 3 + 2_000);
  });

  it('starts on a path that loops (symlinks made into a cycle after the profile was read) and sees it mended', async () => {
    const dir = tempDir();
    const file = join(dir, 'profile.yaml');
    symlinkSync('loop.yaml', file);
    symlinkSync('profile.yaml', join(dir, 'loop.yaml'));
    const reported = reportsOf(file);
    rmSync(file);
    writeFileSync(file, 'version: 1\n');
    await until(() => reported.length === 1, FALLBACK_POLL_MS * 3 + 2_000);
  });

  // GNU install, `rm && cp`, two `sed -i` in a row: ext4 hands the freed inode number straight back, and the watch on
  // the freed inode is dead. Re-armed only on a new number, the watcher was left with its 1-s poll (found in review).
  it('keeps watching a profile deleted and written again at once (its inode number reused), slow writes whole', async () => {
    const file = profileIn();
    const ino = statSync(file).ino;
    const reported = reportsOf(file);
    await sleep(200);
    rmSync(file);
    writeFileSync(file, 'version: 1\n# installed\n');
    // The case itself needs the number reused (ext4, tmpfs); elsewhere the test still holds, less sharply.
    if (statSync(file).ino !== ino) console.warn('profile-watch: this filesystem did not reuse the inode number');
    await until(() => reported.length === 1, 5_000);
    await expectSlowWriteWhole(file, reported);
  }, 20_000);

  it('polls at the old pace again when inotify refuses to watch a new inode (its limit reached since start)', async () => {
    const dir = tempDir();
    const file = profileIn(dir, 'refused-later.yaml');
    const reported = reportsOf(file);
    expect(polls.get(file)).toBe(FALLBACK_POLL_MS);
    await sleep(200);
    writeFileSync(join(dir, 'tmp'), 'version: 1\n# saved\n');
    renameSync(join(dir, 'tmp'), file);
    await until(() => reported.length === 1, 5_000);
    expect(watches.get(file)).toBe(2);
    expect(polls.get(file)).toBe(POLL_MS);
    await expectSlowWriteWhole(file, reported);
  }, 20_000);

  // Found in the second review: deleted, nothing was watched and the 1-s poll was left; the missing file's wait ran
  // out while the new one was being written. And a loop that stalls holds back the events that restart the wait.
  it('does not report a profile deleted and then written again slowly half-written', async () => {
    const file = profileIn();
    const reported = reportsOf(file);
    await sleep(200);
    rmSync(file);
    await sleep(60);
    const whole = await slowWrite(file);
    await sleep(1_500);
    expect(reported.filter((r) => r !== '<missing>')).toEqual([whole]);
  }, 20_000);

  it('does not report a slow write half-written when the process stalls in the middle of it', async () => {
    const file = profileIn();
    const reported = reportsOf(file);
    await sleep(200);
    const whole = await slowWrite(file, { afterLine: 30, ms: 400 });
    await sleep(1_200);
    expect(reported).toEqual([whole]);
  }, 20_000);

  it('reports a profile replaced by a directory or a FIFO as a change, and throws nothing (the reload refuses them)', async () => {
    const file = profileIn();
    const reported = reportsOf(file);
    await sleep(100);
    rmSync(file);
    mkdirSync(file);
    await until(() => reported.length === 1, 5_000);
    rmSync(file, { recursive: true });
    execFileSync('mkfifo', [file]);
    await until(() => reported.length === 2, 5_000);
  });

  it('reports a profile deleted, and again when it comes back', async () => {
    const file = profileIn();
    const reported = reportsOf(file);
    rmSync(file);
    await until(() => reported.length === 1, 5_000);
    writeFileSync(file, 'version: 1\n# back\n');
    await until(() => reported.length === 2, 5_000);
  });
});
