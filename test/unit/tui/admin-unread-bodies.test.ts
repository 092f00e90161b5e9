/**
 * An admin listener that refuses with an answer whose body never ends (a proxy's 503 page trickled out, a hostile
 * listener): the TUI's client does not read such a body, and must not leave its connection open either — each poll
 * (every 250 ms), each reconnect of the event stream (every second) and each `r` opened another one, held until a
 * garbage collection happened to collect the response.
 */
import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/tui/admin-client.js';
import { useServer } from '../../helpers/upstream.js';

/** A listener answering every request `status` with a body that never ends; `open()` counts its connections open now. */
async function refusingListener(status: number): Promise<{ url: string; open: () => number; requests: () => number }> {
  let open = 0;
  let requests = 0;
  const url = await useServer(
    (_req, res) => {
      requests++;
      res.writeHead(status, { 'content-type': 'text/html' });
      res.write('<html>please wait');
    },
    (socket) => {
      open++;
      socket.on('close', () => open--);
    },
  );
  return { url, open: () => open, requests: () => requests };
}

describe('a refusal whose body never ends', () => {
  for (const status of [401, 503])
    it(`leaves no connection open behind a ${status} (polls, event stream reconnects, resets)`, async () => {
      const l = await refusingListener(status);
      const statuses: (string | undefined)[] = [];
      const client = new AdminClient(
        { admin: l.url, intervalMs: 20 },
        { stats: () => {}, event: () => {}, status: (_c, e) => statuses.push(e) },
      );
      client.start();
      try {
        for (let i = 0; i < 10; i++) await client.reset();
        const until = Date.now() + 10_000;
        while (l.requests() < 60 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        expect(l.requests()).toBeGreaterThanOrEqual(60);
        // Each request kept its connection: ~70 open here, thousands in an hour of `top`. Let go, only the few under way
        // (a poll every 20 ms, its cancel in flight) are open at a time.
        const settled = Date.now() + 2000;
        while (l.open() >= 10 && Date.now() < settled) await new Promise((r) => setTimeout(r, 20));
        expect(l.open()).toBeLessThan(10);
        expect(statuses.at(-1)).toMatch(status === 401 ? /wants a key/ : /HTTP 503/);
      } finally {
        client.stop();
      }
    });
});
