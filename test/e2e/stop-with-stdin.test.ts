/**
 * AIGW_STOP_WITH_STDIN=1 (what `aigw bench` sets for the gateway and mocks it starts): a server stops once its
 * stdin pipe ends, and says so; with stdin not a pipe (/dev/null under a supervisor) it says the variable is
 * ignored and keeps serving — never a silent exit.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AIGW } from '../helpers/cli.js';
import { cleanupScope } from '../helpers/cleanup.js';

function mocks(stdin: 'pipe' | 'ignore') {
  const cleanupAfter = cleanupScope();
  const child = spawn(process.execPath, [AIGW, 'mock-backends', '--vllm', 'a=0'], {
    env: { ...process.env, AIGW_STOP_WITH_STDIN: '1' },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  cleanupAfter(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const ready = new Promise<void>((resolve) => child.stdout!.on('data', () => /listening on/.test(out) && resolve()));
  return { child, ready, err: () => err };
}

describe('AIGW_STOP_WITH_STDIN=1', () => {
  it('stops a server once its stdin pipe ends, and says so', async () => {
    const m = mocks('pipe');
    await m.ready;
    const exited = once(m.child, 'exit');
    m.child.stdin!.end();
    const [code] = await exited;
    expect(code).toBe(0);
    expect(m.err()).toContain('aigw: stdin ended (AIGW_STOP_WITH_STDIN=1): stopping');
  });

  it('with stdin not a pipe, says the variable is ignored and keeps serving', async () => {
    const m = mocks('ignore');
    await m.ready;
    // An end of /dev/null would have stopped it at once; a second later it still serves.
    await new Promise((r) => setTimeout(r, 1000));
    expect(m.child.exitCode).toBeNull();
    expect(m.err()).toContain('AIGW_STOP_WITH_STDIN=1 but stdin is not a pipe: ignored');
    m.child.kill('SIGTERM');
    expect((await once(m.child, 'exit'))[0]).toBe(0);
  });
});
