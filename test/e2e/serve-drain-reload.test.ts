/**
 * `aigw serve` stops on SIGTERM however reloads overlap the drain: a reload under way finishes (or closes what
 * it built), none starts once stopping, and a handle nobody closed cannot keep a drained gateway alive.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAigw, type Running } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

const profile = (store = '') => `
version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
timeouts: { drain: 1s }
limits: { defaultCompletionTokens: 10${store} }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'aigw-drain-reload-'));
}

/** The exit code, or 'alive' if the process is still running `ms` after the signal. */
async function exitWithin(run: Running, ms: number): Promise<number | null | 'alive'> {
  if (run.child.exitCode !== null) return run.child.exitCode;
  let t: NodeJS.Timeout | undefined;
  const late = new Promise<'alive'>((r) => (t = setTimeout(() => r('alive'), ms)));
  const r = await Promise.race([once(run.child, 'exit').then(([code]) => code as number | null), late]);
  clearTimeout(t);
  if (r === 'alive') run.child.kill('SIGKILL');
  return r;
}

describe('SIGTERM with reloads about', () => {
  it('exits 0 after overlapping reloads that each build a Redis client, SIGTERM arriving while they build', async () => {
    const dir = tempDir();
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, profile());
    const run = await startAigw(['serve', '-c', file, '--mocks'], 3);
    const nobody = await freePort();
    const store = (timeout: string, prefix: string) =>
      `, store: { redis: "redis://127.0.0.1:${nobody}", timeout: ${timeout}, prefix: ${prefix} }`;
    // Two reloads ~0.3 s apart, each waiting on a Redis nobody answers (3 s and 1 s), then SIGTERM during them.
    writeFileSync(file, profile(store('3s', 'a')));
    run.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(file, profile(store('1s', 'b')));
    run.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 300));
    run.child.kill('SIGTERM');
    run.child.kill('SIGHUP'); // a reload asked for while stopping is not started
    expect(await exitWithin(run, 20_000)).toBe(0);
  }, 40_000);

  it('exits 0 once drained though a handle nobody closed is still open (a backstop, not a hang)', async () => {
    const dir = tempDir();
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, profile());
    // Stands for any leaked handle (a store client, a socket): an interval that would keep Node alive for ever.
    const leak = join(dir, 'leak.cjs');
    writeFileSync(leak, 'setInterval(() => {}, 1000);\n');
    const run = await startAigw(['serve', '-c', file, '--mocks'], 3, { NODE_OPTIONS: `--require ${leak}` });
    run.child.kill('SIGTERM');
    expect(await exitWithin(run, 20_000)).toBe(0);
  }, 40_000);
});
