/**
 * `aigw serve` keeps serving when its request log's reader goes away (attacker review). The log is written to stdout;
 * once the pipe's reader is gone (`aigw serve | head`, a log collector that restarted, a `tee` that was killed), the
 * next line's write fails with EPIPE, which Node reports as an 'error' event on process.stdout — and nothing listened
 * there: the first request after the reader left took the gateway down, every request in flight with it. stderr is
 * the same (`aigw serve 2>&1 | head`): a refused reload's lines, or any warning, took it down once its reader left.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { rawPost } from '../helpers/raw.js';

const PROFILE = `
version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm, ttft: 0ms, tokensPerSecond: 0 } }
models:
  m: { targets: [{ backend: v }] }
`;

describe('a request log whose reader went away', () => {
  it.each(['json', 'pretty'])(
    '--log %s: the gateway goes on serving, and its lines are dropped',
    async (format) => {
      const dir = mkdtempSync(join(tmpdir(), 'aigw-log-gone-'));
      const file = join(dir, 'profile.yaml');
      writeFileSync(file, PROFILE);
      const run = await startAigw(['serve', '-c', file, '--mocks', '--log', format], 3);
      // The reader leaves: the pipe's read end closes, and the gateway's next write to it fails with EPIPE.
      run.child.stdout!.destroy();
      const chat = () =>
        rawPost(`${run.urls.gateway}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
      for (let i = 0; i < 5; i++) {
        const r = await chat().catch((e: Error) => ({ status: `${e.message}; stderr: ${run.stderr()}` }));
        expect(r.status).toBe(200);
        // A log line is written a turn after its request: the next request comes after it.
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(run.child.exitCode).toBeNull();
      expect(await run.stop()).toBe(0);
    },
    60_000,
  );

  it('stderr: a refused reload told to a reader that went away leaves the gateway serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-log-gone-'));
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, PROFILE);
    const run = await startAigw(['serve', '-c', file, '--mocks', '--log', 'off'], 3);
    run.child.stderr!.destroy();
    // A profile the reload refuses: its problems go to stderr.
    writeFileSync(file, `${PROFILE}\nunknownKey: 1\n`);
    run.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 1500));
    const r = await rawPost(`${run.urls.gateway}/v1/chat/completions`, {
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 3,
    }).catch((e: Error) => ({ status: e.message }));
    expect(r.status).toBe(200);
    expect(run.child.exitCode).toBeNull();
    expect(await run.stop()).toBe(0);
  }, 60_000);
});
