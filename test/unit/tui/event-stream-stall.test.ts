/**
 * An admin event stream that goes silent without ending (attacker review): a dead path — a laptop's sleep, a NAT or
 * a port-forward that dropped the connection, a proxy holding one its upstream left — or a listener that never
 * sends its head. fetch waits 300 s for a head or a byte, so the log froze for five minutes while the polled figures,
 * on fresh connections, said connected. The gateway writes a keepalive every 15 s; a stream silent past the client's
 * bound is now resumed on a new connection from the last id it read. A real node:http listener on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/tui/admin-client.js';
import { useServer } from '../../helpers/upstream.js';

const STATS = JSON.stringify({ ts: 1, windowMs: 60000, inflight: 0, models: {}, tenants: {} });
const frame = (id: number, type: string) => `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify({ type, ts: id })}\n\n`;

/** The events a client reads from `url` within `ms`, and the Last-Event-ID of each event stream it opened. */
async function eventsWithin(url: string, ms: number, resumes: (string | undefined)[]): Promise<[number, string][]> {
  const events: [number, string][] = [];
  const client = new AdminClient(
    { admin: url, intervalMs: 200, eventsIdleMs: 500 },
    { stats: () => {}, event: (id, e) => events.push([id, String(e.type)]), status: () => {} },
  );
  client.start();
  const until = performance.now() + ms;
  while (events.length < 2 && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  client.stop();
  expect(resumes[0]).toBe('0');
  return events;
}

describe('an admin event stream that stalls', () => {
  it('after its first event (a dead path): resumed from the last id read, the events after it shown', async () => {
    const resumes: (string | undefined)[] = [];
    const url = await useServer((req, res) => {
      if (req.url === '/aigw/stats') return void res.writeHead(200, { 'content-type': 'application/json' }).end(STATS);
      resumes.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // The first connection: one event, then nothing — not an end, not a keepalive.
      if (resumes.length === 1) return void res.write(frame(1, 'reload'));
      res.end(frame(2, 'truncation'));
    });
    const events = await eventsWithin(url, 8000, resumes);
    expect(events).toEqual([
      [1, 'reload'],
      [2, 'truncation'],
    ]);
    expect(resumes[1]).toBe('1');
  }, 15_000);

  it('before its head (a listener that accepts and says nothing): tried again', async () => {
    const resumes: (string | undefined)[] = [];
    const url = await useServer((req, res) => {
      if (req.url === '/aigw/stats') return void res.writeHead(200, { 'content-type': 'application/json' }).end(STATS);
      resumes.push(req.headers['last-event-id'] as string | undefined);
      if (resumes.length === 1) return; // no head, ever
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(frame(1, 'reload') + frame(2, 'truncation'));
    });
    const events = await eventsWithin(url, 8000, resumes);
    expect(events).toEqual([
      [1, 'reload'],
      [2, 'truncation'],
    ]);
  }, 15_000);
});
