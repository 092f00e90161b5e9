/**
 * One event over 1 MiB in the admin stream (a client's 1.5 MB model name, kept in the gateway's replayed
 * history) is skipped, not a reason to drop the stream: a reconnect from the same Last-Event-ID was sent the
 * same event again, and `top` showed no event at all until it left the history.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/tui/admin-client.js';
import { BoundedEventReader } from '../../../src/tui/event-frames.js';
import { initialState, skippedNote } from '../../../src/tui/model.js';
import { summaryLines } from '../../../src/tui/plain.js';

const BIG = 'x'.repeat(1_500_000);
const small = (id: number) => `id: ${id}\ndata: ${JSON.stringify({ type: 'request', ts: id, status: 404, model: `m${id}` })}\n\n`;
/** As the gateway writes an event: the id line first. */
const bigFirst = (id: number) => `id: ${id}\ndata: ${JSON.stringify({ type: 'request', ts: id, status: 404, model: BIG })}\n\n`;
/** As a listener may: the id line last, CRLF line ends, the data in many lines. */
const bigLast = (id: number) => `data: ${BIG.slice(0, 700_000)}\r\ndata: ${BIG.slice(0, 700_000)}\r\nid: ${id}\r\n\r\n`;

function read(stream: string, chunkSize: number, max = 1024 * 1024) {
  const seen: string[] = [];
  const reader = new BoundedEventReader(max, 16 * max, {
    event: (ev) => seen.push(`event ${ev.id}`),
    skipped: (id) => seen.push(`skipped ${id}`),
  });
  const bytes = Buffer.from(stream);
  let ok = true;
  for (let i = 0; i < bytes.length; i += chunkSize) ok &&= reader.push(bytes.subarray(i, i + chunkSize));
  expect(ok).toBe(true);
  return seen;
}

describe('an event over 1 MiB', () => {
  it('is skipped with its id read, wherever the id line is and however the stream is cut', () => {
    for (const size of [4093, 65_536, 10_000_000])
      expect(read(small(1) + bigFirst(2) + small(3) + bigLast(4) + small(5), size), `chunks of ${size}`).toEqual([
        'event 1',
        'skipped 2',
        'event 3',
        'skipped 4',
        'event 5',
      ]);
    // Byte by byte, with a smaller bound: a CR, an LF or an id line may end any read.
    const crlf = (s: string) => s.replaceAll('\n', '\r\n');
    for (const stream of [
      `${small(1)}${bigFirst(2).slice(0, 300)}\n\n${small(3)}`,
      crlf(small(1)) + bigLast(2).slice(-300) + crlf(small(3)),
    ])
      expect(read(stream, 1, 200)).toEqual(['event 1', 'skipped 2', 'event 3']);
  });

  it('is passed over by the admin client, which shows the events after it and resumes after it', async () => {
    const lastEventIds: string[] = [];
    let server: Server | undefined;
    try {
      server = createServer((req, res) => {
        if (req.url !== '/aigw/events') return res.writeHead(404).end();
        // The gateway's replay: every event after Last-Event-ID, then the stream stays open.
        const after = Number(req.headers['last-event-id'] ?? 0);
        lastEventIds.push(String(after));
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const history = [small(1), bigFirst(2), small(3)];
        res.write(history.slice(after).join(''));
        if (lastEventIds.length === 1) setTimeout(() => res.end(small(4)), 200);
      });
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const seen: number[] = [];
      let skipped = 0;
      const client = new AdminClient(
        { admin: url, intervalMs: 60_000 },
        { stats: () => {}, status: () => {}, event: (id) => seen.push(id), skipped: () => skipped++ },
      );
      client.start();
      // The stream ends after event 4; the client reconnects (after its 1 s pause) from there, not from 1.
      const until = Date.now() + 5000;
      while (lastEventIds.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      client.stop();
      expect(seen).toEqual([1, 3, 4]);
      expect(lastEventIds).toEqual(['0', '4']);
      // Passed over, not passed over silently: the view counts it (the header and plain mode say so).
      expect(skipped).toBe(1);
    } finally {
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    }
  });

  it('is counted where the user looks: the plain summary line says how many were not shown', () => {
    expect(summaryLines({ ...initialState(), skipped: 0 })[0]).not.toContain('not shown');
    expect(summaryLines({ ...initialState(), skipped: 1 })[0]).toContain('1 event over 1 MiB not shown');
    expect(skippedNote(3)).toBe('3 events over 1 MiB not shown');
  });
});
