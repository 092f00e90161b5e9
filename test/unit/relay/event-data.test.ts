/**
 * relay/sse-bytes.ts eventData: an event's data read off its bytes, as the decoder reads it. It decoded the event
 * whole, split it into lines and joined the data lines string by string: an event of 16 MiB of `data:x` lines — a
 * backend may send one up to limits.maxEventBytes, and the fast path reads any event of more than one line so —
 * made a string of 2.4 million pieces, 137–232 MB of heap for as long as the relay read it, and held the loop ~0.8 s.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventData } from '../../../src/relay/sse-bytes.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = () => {
  gc();
  gc();
  return getHeapStatistics().used_heap_size;
};

/** The reading it replaced: the event decoded whole, its data lines joined by LF. */
function reference(buf: Buffer, start: number, end: number): string | undefined {
  let data: string | undefined;
  for (const line of buf.toString('utf8', start, end).split('\n')) {
    if (line !== 'data' && !line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}

describe('an event’s data, read off its bytes', () => {
  it('reads any event as the whole-text reading did: data lines, spaces, other fields, bytes that are not UTF-8', () => {
    const piece = fc.oneof(
      fc.constantFrom('data', 'data:', 'data: ', 'data:  ', 'dat', 'datax', 'event: e', ': c', 'id: 1', ' data: x', 'data :x'),
      fc.string({ maxLength: 8 }),
      fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const line = fc.array(piece, { minLength: 1, maxLength: 3 }).map((p) => p.join(''));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), fc.nat(3), fc.nat(3), (lines, pre, post) => {
        const body = Buffer.from(lines.join('\n'), 'latin1');
        // In place, as the relay calls it: within a larger read, bytes before and after the event.
        const buf = Buffer.concat([Buffer.alloc(pre, 0x7a), body, Buffer.alloc(post, 0x20)]);
        expect(eventData(buf, pre, pre + body.length)).toBe(reference(buf, pre, pre + body.length));
      }),
      { numRuns: 3000 },
    );
  });

  it('holds an event of 16 MiB of data lines in about its own size, not a string a line', () => {
    const line = 'data:x\n';
    const buf = Buffer.from(`${line.repeat(Math.floor((16 * 1024 * 1024 - 1) / line.length))}\n`);
    const before = heapUsed();
    const data = eventData(buf, 0, buf.length);
    const held = heapUsed() - before;
    expect(data?.length).toBe(((buf.length - 1) / line.length) * 2 - 1);
    // Before: 137–232 MB (2.4 million sliced and cons strings); now the one string of ~4.8 million characters.
    expect(held, `${(held / 1e6).toFixed(1)} MB of heap for the event's data`).toBeLessThan(32 * 1024 * 1024);
  });
});
