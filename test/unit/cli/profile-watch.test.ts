// The profile watcher (`aigw serve` reloads on a change of its file): each way a profile is rewritten in
// practice is reported once, after it settles; what else happens in its directory is not a change.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    watch: (...args: Parameters<typeof real.watch>) => {
      if (String(args[0]).endsWith('refused.yaml'))
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

/** Watches `file`; `count()` is how many changes were reported so far. */
function watched(file: string): { count: () => number } {
  let n = 0;
  const stop = watchProfile(file, () => n++);
  undo.push(stop);
  return { count: () => n };
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
    const file = join(tempDir(), 'profile.yaml');
    writeFileSync(file, 'version: 1\n');
    const w = watched(file);
    writeFileSync(file, 'version: 1\n# edited\n');
    await until(() => w.count() === 1, 5_000);
    await sleep(500);
    expect(w.count()).toBe(1);
  });

  it('reports an editor’s rename-over write (a new inode)', async () => {
    const dir = tempDir();
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, 'version: 1\n');
    const w = watched(file);
    writeFileSync(join(dir, '.profile.yaml.tmp'), 'version: 1\n# saved\n');
    renameSync(join(dir, '.profile.yaml.tmp'), file);
    await until(() => w.count() === 1, 5_000);
  });

  it('reports a Kubernetes ConfigMap update: the ..data link swapped, the file’s own name untouched', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'profile.yaml'), 'version: 1\n');
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'profile.yaml'), join(dir, 'profile.yaml'));
    const w = watched(join(dir, 'profile.yaml'));
    // As kubelet's atomic writer does it: a new directory, a new link, renamed over the old one.
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'profile.yaml'), 'version: 1\n# v2, longer\n');
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..v1'), { recursive: true });
    await until(() => w.count() === 1, 5_000);
  });

  it('does not take other files written next to it for a change, nor let them hold one back', async () => {
    const dir = tempDir();
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, 'version: 1\n');
    const w = watched(file);
    const busy = setInterval(() => writeFileSync(join(dir, 'gateway.log'), `${Date.now()}\n`, { flag: 'a' }), 5);
    undo.push(() => clearInterval(busy));
    await sleep(1_000);
    expect(w.count()).toBe(0);
    writeFileSync(file, 'version: 1\n# edited while the log grows\n');
    await until(() => w.count() === 1, 5_000);
  });

  it('sees a profile linked from another directory written at its real place', async () => {
    const real = join(tempDir(), 'real.yaml');
    writeFileSync(real, 'version: 1\n');
    const link = join(tempDir(), 'profile.yaml');
    symlinkSync(real, link);
    const w = watched(link);
    // Past the watcher's first look: only its poll of the path can see this.
    await sleep(200);
    writeFileSync(real, 'version: 1\n# edited at its real place\n');
    await until(() => w.count() === 1, FALLBACK_POLL_MS * 3 + 2_000);
  });

  // The poll alone, every 100 ms, woke an idle gateway 45 times a second (measured with strace): beside the file's
  // watch it is a fallback, once a second; at the old pace only where inotify refuses.
  it('polls the path once a second beside the watch, ten times a second where inotify refuses', async () => {
    const dir = tempDir();
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, 'version: 1\n');
    watched(file);
    expect(polls.get(file)).toBe(FALLBACK_POLL_MS);
    const missing = join(dir, 'not-yet.yaml');
    watched(missing);
    expect(polls.get(missing)).toBe(FALLBACK_POLL_MS);
    const refused = join(dir, 'refused.yaml');
    writeFileSync(refused, 'version: 1\n');
    const w = watched(refused);
    expect(polls.get(refused)).toBe(POLL_MS);
    await sleep(200);
    writeFileSync(refused, 'version: 1\n# polled\n');
    await until(() => w.count() === 1, 5_000);
  });

  it('sees a symlink pointed at another file (the slow poll)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), 'version: 1\n');
    writeFileSync(join(dir, 'b.yaml'), 'version: 1\n# b\n');
    symlinkSync('a.yaml', join(dir, 'profile.yaml'));
    const w = watched(join(dir, 'profile.yaml'));
    await sleep(200);
    symlinkSync('b.yaml', join(dir, 'tmp-link'));
    renameSync(join(dir, 'tmp-link'), join(dir, 'profile.yaml'));
    await until(() => w.count() === 1, FALLBACK_POLL_MS * 3 + 2_000);
  });

  it('starts on a path that loops (symlinks made into a cycle after the profile was read) and sees it mended', async () => {
    const dir = tempDir();
    const file = join(dir, 'profile.yaml');
    symlinkSync('loop.yaml', file);
    symlinkSync('profile.yaml', join(dir, 'loop.yaml'));
    const w = watched(file);
    rmSync(file);
    writeFileSync(file, 'version: 1\n');
    await until(() => w.count() === 1, FALLBACK_POLL_MS * 3 + 2_000);
  });

  it('reports a profile deleted, and again when it comes back', async () => {
    const file = join(tempDir(), 'profile.yaml');
    writeFileSync(file, 'version: 1\n');
    const w = watched(file);
    rmSync(file);
    await until(() => w.count() === 1, 5_000);
    writeFileSync(file, 'version: 1\n# back\n');
    await until(() => w.count() === 2, 5_000);
  });
});
