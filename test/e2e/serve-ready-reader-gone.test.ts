/**
 * A server command whose stdout reader is gone before its ready lines are written (lifecycle review): `aigw serve
 * --mocks | head -1`, `aigw mock-backends --vllm a=0 --tei b=0 | head -1` — head reads the first ready line and
 * leaves, and the next one's write fails with EPIPE, an 'error' on process.stdout. The request log listens there
 * (observe/line-batch.ts), but it is attached after the ready lines, and mock-backends (or serve --log off) has no
 * log at all: the error went unheard and took the process down, its mocks and gateway with it, exit 1 and a stack
 * trace. Here the reader leaves before the first line, which makes every ready line's write the one that fails.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIGW } from '../helpers/cli.js';
import { cleanupScope } from '../helpers/cleanup.js';
import { freePort } from '../helpers/ports.js';

/** `aigw ARGS` with its stdout's read end closed at once (before it can print anything). */
function withoutStdoutReader(args: string[]) {
  const cleanupAfter = cleanupScope();
  const child = spawn(process.execPath, [AIGW, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.destroy();
  cleanupAfter(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return { child, stderr: () => err };
}

/** Resolves once `url` answers 200; rejects once the process has exited (or after 30 s). */
async function answering(url: string, child: ReturnType<typeof spawn>, stderr: () => string): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited ${child.exitCode ?? child.signalCode} before answering: ${stderr().slice(0, 600)}`);
    const r = await fetch(url).catch(() => undefined);
    if (r?.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

async function stop(child: ReturnType<typeof spawn>): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  return code as number | null;
}

describe('ready lines with nobody reading stdout', () => {
  it.each(['off', 'json'])(
    'serve --mocks --log %s goes on serving, and SIGTERM still exits 0',
    async (log) => {
      const [gw, admin, mock] = [await freePort(), await freePort(), await freePort()];
      const file = join(mkdtempSync(join(tmpdir(), 'aigw-ready-gone-')), 'profile.yaml');
      writeFileSync(
        file,
        `version: 1
listen: 127.0.0.1:${gw}
admin: { listen: 127.0.0.1:${admin} }
backends:
  v: { url: http://127.0.0.1:${mock}, mock: { kind: vllm, ttft: 0ms, tokensPerSecond: 0 } }
models:
  m: { targets: [{ backend: v }] }
`,
      );
      const run = withoutStdoutReader(['serve', '-c', file, '--mocks', '--log', log]);
      await answering(`http://127.0.0.1:${admin}/healthz`, run.child, run.stderr);
      const chat = await fetch(`http://127.0.0.1:${gw}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
      });
      expect(chat.status).toBe(200);
      // A turn for a late 'error' to land.
      await new Promise((r) => setTimeout(r, 300));
      expect(run.stderr()).not.toContain('EPIPE');
      expect(await stop(run.child)).toBe(0);
    },
    60_000,
  );

  it('mock-backends goes on serving, and SIGTERM still exits 0', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const run = withoutStdoutReader(['mock-backends', '--vllm', `a=${a}`, '--vllm', `b=${b}`]);
    await answering(`http://127.0.0.1:${b}/v1/models`, run.child, run.stderr);
    expect((await fetch(`http://127.0.0.1:${a}/v1/models`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(run.stderr()).not.toContain('EPIPE');
    expect(await stop(run.child)).toBe(0);
  }, 60_000);
});
