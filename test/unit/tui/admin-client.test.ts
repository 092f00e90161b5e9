/** The TUI's fetch client against msw: polling, SSE events with ids, resume after a drop, and an unreachable admin. */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/tui/admin-client.js';
import type { StatsView } from '../../../src/tui/model.js';

const ADMIN = 'http://admin.test:9901';
let statsCalls = 0;
const lastEventIds: (string | null)[] = [];
const server = setupServer(
  http.get(`${ADMIN}/aigw/stats`, () => {
    statsCalls++;
    if (statsCalls <= 2) return HttpResponse.error();
    return HttpResponse.json({ ts: statsCalls, windowMs: 60000, inflight: 0, models: {}, tenants: {} });
  }),
  http.get(`${ADMIN}/aigw/events`, ({ request }) => {
    lastEventIds.push(request.headers.get('last-event-id'));
    const first = lastEventIds.length === 1;
    const body = first
      ? 'id: 1\nevent: truncation\ndata: {"type":"truncation","ts":1}\n\nid: 2\nevent: reload\ndata: {"type":"reload","ts":2,"ok":true}\n\n'
      : 'id: 3\nevent: ratelimit\ndata: {"type":"ratelimit","ts":3}\n\n';
    return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

describe('AdminClient', () => {
  it('says it cannot connect, retries, then delivers stats and events, resuming after the stream ends', async () => {
    const statuses: (string | undefined)[] = [];
    const stats: StatsView[] = [];
    const events: [number, string][] = [];
    const client = new AdminClient(
      { admin: ADMIN, intervalMs: 10 },
      {
        stats: (s) => stats.push(s),
        event: (id, e) => events.push([id, String(e.type)]),
        status: (ok, err) => statuses.push(ok ? 'ok' : err),
      },
    );
    client.start();
    // Done in about a second (the stream is resumed after a 1 s pause). The deadline only bounds a client that never
    // gets there, so it is put far out of a busy machine's reach (3 s left under 2 s of slack); a working client
    // still ends the wait as soon as it is done.
    const until = Date.now() + 10_000;
    while ((stats.length < 2 || events.length < 3) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    client.stop();
    expect(statuses[0]).toMatch(/cannot reach http:\/\/admin\.test:9901/);
    expect(stats.length).toBeGreaterThanOrEqual(2);
    expect(events).toEqual([
      [1, 'truncation'],
      [2, 'reload'],
      [3, 'ratelimit'],
    ]);
    expect(lastEventIds.slice(0, 2)).toEqual(['0', '2']);
  });
});
