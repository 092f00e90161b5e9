/**
 * Lines of nothing but a byte-order mark in the admin event stream. The SSE decoder reads such a line as blank (the
 * SDKs drop a leading U+FEFF, and the decoder reads as they do), so a block of them is no event and is held; the
 * skipper, which finds where an oversized event ends, read it as a line of text and its blank line as that event's
 * end. Past the hold's bound every such 5-byte block was "an event over 1 MiB": counted, and the whole hold decoded
 * again for each one — quadratic, in one synchronous call: a listener's trickle of them after 1 MiB froze `top`
 * (its `q`, Ctrl-C and SIGTERM handlers with it) for as long as it went on.
 */
import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/tui/admin-client.js';
import { BoundedEventReader } from '../../../src/tui/event-frames.js';
import { useServer } from '../../helpers/upstream.js';

const BOM_BLOCK = '\uFEFF\n\n';
const frame = (id: number) => `id: ${id}\ndata: ${JSON.stringify({ type: 'reload', ts: id, ok: true, message: `r${id}` })}\n\n`;

describe('blocks of byte-order-mark lines', () => {
  it('are no event to the skipper either: none is counted as skipped, and the work stays linear', () => {
    const seen: string[] = [];
    const reader = new BoundedEventReader(1024, 64 * 1024, {
      event: (ev) => seen.push(`event ${ev.id}`),
      skipped: (id) => seen.push(`skipped ${id}`),
    });
    const bytes = Buffer.from(frame(1) + BOM_BLOCK.repeat(8_000) + frame(2) + frame(3));
    const t0 = performance.now();
    let ok = true;
    for (let i = 0; i < bytes.length; i += 4096) ok &&= reader.push(bytes.subarray(i, i + 4096));
    const ms = performance.now() - t0;
    expect(ok).toBe(true);
    // 40 KB past a 1 KiB hold were 7,800 "events over the bound", each decoding the hold again.
    expect(seen).toEqual(['event 1', 'skipped 2', 'event 3']);
    expect(ms).toBeLessThan(1000);
  });

  it('past the skip bound, end the stream as any event that never ends does', () => {
    const reader = new BoundedEventReader(1024, 16 * 1024, { event: () => {}, skipped: () => {} });
    const bytes = Buffer.from(BOM_BLOCK.repeat(10_000));
    let ok = true;
    for (let i = 0; i < bytes.length && ok; i += 4096) ok = reader.push(bytes.subarray(i, i + 4096));
    expect(ok).toBe(false);
  });
});

describe('an admin listener that sends them', () => {
  it('leaves the client responsive, says no event was skipped that was not, and shows the events after them', async () => {
    const url = await useServer((req, res) => {
      if (req.url !== '/aigw/events') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Up to the 1 MiB hold, then a trickle past it: each 5-byte block past it cost a decode of the whole hold
      // (~23 ms; a few hundred bytes a write froze the client for seconds), until an event ended the hold.
      res.write(frame(1) + BOM_BLOCK.repeat((1024 * 1024) / 5));
      let trickles = 0;
      const trickle = setInterval(() => {
        if (res.destroyed) return clearInterval(trickle);
        if (++trickles <= 3) return void res.write(BOM_BLOCK.repeat(60));
        clearInterval(trickle);
        res.write(frame(2) + frame(3));
      }, 100);
    });
    const seen: number[] = [];
    let skipped = 0;
    const client = new AdminClient(
      { admin: url, intervalMs: 60_000 },
      { stats: () => {}, status: () => {}, event: (id) => seen.push(id), skipped: () => skipped++ },
    );
    // The event loop's longest stall while the client reads.
    let worst = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 10);
    client.start();
    try {
      const until = Date.now() + 30_000;
      while (!seen.includes(3) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    } finally {
      client.stop();
      clearInterval(tick);
    }
    expect(seen).toContain(1);
    expect(seen).toContain(3);
    // The blocks' end was taken for an oversized event's, once (event 2 with it); hundreds were counted.
    expect(skipped).toBeLessThanOrEqual(1);
    expect(worst).toBeLessThan(1000);
  });
});
