/**
 * `aigw top`'s client follows the ids the gateway's own event stream gives (16 digits: from the microseconds since
 * the epoch at its start, observe/event-stream.ts). It read at most 15, so every id was none to it: each reconnect
 * asked from 0 and was sent the whole history again, shown twice.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { RequestRecord } from '../../../src/events/request-record.js';
import { EventStream } from '../../../src/observe/event-stream.js';
import { AdminClient } from '../../../src/tui/admin-client.js';
import { eventually } from '../../helpers/eventually.js';
import { useServer } from '../../helpers/upstream.js';

const streams: EventStream[] = [];
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
});

describe("aigw top's client against the gateway's event stream", () => {
  it('resumes from the last id it was given, and is not sent an event twice', async () => {
    const bus = new EventBus();
    const stream = new EventStream(bus);
    streams.push(stream);
    const resumes: (string | undefined)[] = [];
    const sockets = new Set<Socket>();
    const admin = await useServer(
      (req, res) => {
        if (req.url?.startsWith('/aigw/stats')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end(JSON.stringify({ ts: Date.now(), windowMs: 60000, inflight: 0, models: {}, tenants: {} }));
        }
        resumes.push(req.headers['last-event-id'] as string | undefined);
        stream.handle(req, res);
      },
      (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      },
    );
    const seen: [number, string][] = [];
    const client = new AdminClient(
      { admin, intervalMs: 50 },
      { stats: () => {}, event: (id, e) => seen.push([id, String((e as { requestId?: string }).requestId)]), status: () => {} },
    );
    client.start();
    try {
      await eventually(() => stream.subscribers === 1, 10_000);
      bus.publish(new RequestRecord('before-the-drop-1').toEvent());
      bus.publish(new RequestRecord('before-the-drop-2').toEvent());
      await eventually(() => seen.length === 2, 10_000);
      // The connection drops (a proxy's idle timeout, a restart of the admin listener); one more event meanwhile.
      for (const s of sockets) s.destroy();
      bus.publish(new RequestRecord('while-away').toEvent());
      await eventually(() => seen.length >= 3 && resumes.length >= 2, 10_000);
      expect(resumes[1]).toBe(String(seen[1]![0]));
      expect(seen.map(([, id]) => id)).toEqual(['before-the-drop-1', 'before-the-drop-2', 'while-away']);
      expect(seen[2]![0]).toBe(seen[1]![0] + 1);
    } finally {
      client.stop();
    }
  });
});
