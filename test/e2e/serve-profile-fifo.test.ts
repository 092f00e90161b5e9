/**
 * `aigw serve` when the profile's path names a FIFO: the loader reads a profile only as a regular file (50432a8), but
 * serve first read the path itself with readFile — to tell whether a change left the text as it was — and opening a
 * FIFO waits for a writer. At start the gateway hung before its first line; at a reload it hung in that read, and as
 * reloads run one at a time, no later one ever ran: a good profile written over the FIFO was never served.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIGW, startAigw } from '../helpers/cli.js';
import { eventually } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const profile = (model: string) => `
version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
backends:
  v1: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [up] } }
models:
  ${model}: { targets: [{ backend: v1, model: up }] }
`;

const fifoIn = (dir: string): string => {
  const file = join(dir, 'profile.yaml');
  execFileSync('mkfifo', [file]);
  return file;
};

describe('serve and a profile path that names a FIFO', () => {
  it.each(['serve', 'mock-backends'])('%s at start: refused at once as not a regular file (exit 2), not a hang', async (command) => {
    const file = fifoIn(mkdtempSync(join(tmpdir(), 'aigw-fifo-')));
    const child = spawn(process.execPath, [AIGW, command, '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code, signal] = await once(child, 'exit');
    clearTimeout(timer);
    expect({ code, signal }).toEqual({ code: 2, signal: null });
    expect(stderr).toMatch(/not a regular file/);
  });

  it('at a reload: refused, and the next good profile written there is served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-fifo-'));
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, profile('a'));
    const run = await startAigw(['serve', '-c', file, '--mocks', '--log', 'json'], 3);
    const chat = async (model: string) =>
      (await rawPost(`${run.urls.gateway}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'x' }], max_tokens: 2 }))
        .status;
    expect(await chat('a')).toBe(200);

    rmSync(file);
    execFileSync('mkfifo', [file]);
    await eventually(() => /reload refused: .*not a regular file/.test(run.stderr()), 10_000);

    rmSync(file);
    writeFileSync(file, profile('c'));
    await eventually(async () => (await chat('c')) === 200, 10_000);
    expect(await chat('a')).toBe(404);
    expect(await run.stop('SIGTERM')).toBe(0);
  }, 40_000);
});
