/**
 * `aigw top` as a command in a pipe (plain mode): it refuses an admin URL with a password in it, or a key that
 * cannot be a header, once and without quoting either (it printed them on every retry); and it stops quietly,
 * exit 0, when the reader of its pipe goes away (`aigw top | head -2` crashed on an unhandled EPIPE).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AIGW } from '../helpers/cli.js';
import { cleanupScope } from '../helpers/cleanup.js';

/** Runs `aigw top ARGS` with stdout a pipe; killed after `ms` if still running (exit code null then). */
async function top(args: string[], env: Record<string, string> = {}, ms = 4000) {
  const cleanupAfter = cleanupScope();
  const child = spawn(process.execPath, [AIGW, 'top', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanupAfter(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code as number | null, out };
}

describe('aigw top refuses what it must not print', () => {
  it('an admin URL with a user and password: exit 2 at once, the password never printed', async () => {
    const r = await top(['--admin', 'http://admin:s3cret-pass@127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^aigw: --admin must not carry a user or password/);
    expect(r.out).not.toContain('s3cret');
  });

  it('an admin key that is not a header value: exit 2 at once, the key never printed', async () => {
    const r = await top(['--admin', 'http://127.0.0.1:1'], { AIGW_ADMIN_KEY: 'sk-bad\nkey' });
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^aigw: the admin key \(--key or AIGW_ADMIN_KEY\) is not a valid HTTP header value/);
    expect(r.out).not.toContain('sk-bad');
  });
});

describe('aigw top | head', () => {
  it('stops quietly with exit 0 once the reader of its output is gone', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/aigw/events') return void res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': hi\n\n');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ts: Date.now(), windowMs: 60_000, inflight: 0, models: {}, tenants: {}, refusals: [] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const cleanupAfter = cleanupScope();
    const child = spawn(process.execPath, [AIGW, 'top', '--admin', `http://127.0.0.1:${(server.address() as AddressInfo).port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanupAfter(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = once(child, 'exit');
    try {
      // As `head -2` does: read the first lines, then close the pipe. The next tick (every 2 s) writes into it.
      const [first] = await once(child.stdout, 'data');
      expect(String(first)).toMatch(/connected/);
      child.stdout.destroy();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const [code, signal] = await exited;
      clearTimeout(timer);
      expect({ code, signal, err }).toEqual({ code: 0, signal: null, err: '' });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
