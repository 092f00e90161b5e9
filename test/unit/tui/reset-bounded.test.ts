/**
 * `r` in the TUI posts /aigw/reset. Against an admin listener that takes the request and never answers, each press left
 * its request and its connection open until `top` quit (fetch waits 300 s for a head): bounded now as a poll is.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/tui/admin-client.js';

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

describe('a reset against an admin listener that never answers', () => {
  it('gives up within the poll deadline and lets its connection go', async () => {
    const open = new Set<Socket>();
    let resets = 0;
    server = createServer((req) => {
      if (req.url === '/aigw/reset') resets++;
      // Never answered.
    });
    server.on('connection', (s: Socket) => {
      open.add(s);
      s.on('close', () => open.delete(s));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const client = new AdminClient({ admin: `http://127.0.0.1:${port}` }, { stats: () => {}, event: () => {}, status: () => {} });
    const began = Date.now();
    // Not started: the reset alone. Hung for good before (the test's own timeout); ~3 s now.
    await client.reset();
    expect(Date.now() - began).toBeLessThan(20_000);
    expect(resets).toBe(1);
    const until = Date.now() + 5000;
    while (open.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(open.size).toBe(0);
    client.stop();
  }, 60_000);
});
