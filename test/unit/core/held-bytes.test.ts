/**
 * Bytes held across reads: what goes in comes out whole and in order however it was cut, and a body sent a byte a
 * read is held in a bounded number of pieces (a view a byte held 2.2 GiB for a 16 MiB event).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeldBytes } from '../../../src/core/held-bytes.js';

describe('HeldBytes', () => {
  it('gives back exactly the bytes pushed, in order, whatever the pieces and however often taken', () => {
    const piece = fc.uint8Array({ minLength: 0, maxLength: 300 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.array(fc.tuple(piece, fc.boolean()), { maxLength: 400 }), (steps) => {
        const h = new HeldBytes();
        let expected: Buffer[] = [];
        for (const [p, takeNow] of steps) {
          h.push(p);
          expected.push(p);
          expect(h.bytes).toBe(Buffer.concat(expected).length);
          if (takeNow) {
            expect(h.take().equals(Buffer.concat(expected))).toBe(true);
            expect(h.size).toBe(0);
            expected = [];
          }
        }
        const extra = Buffer.from('tail');
        expect(h.take(extra).equals(Buffer.concat([...expected, extra]))).toBe(true);
        expect(h.bytes).toBe(0);
      }),
    );
  });

  it('holds a million one-byte reads in a few dozen pieces, each byte copied a bounded number of times', () => {
    const h = new HeldBytes();
    const read = Buffer.alloc(65_536, 0x61);
    for (let i = 0; i < 1_000_000; i++) h.push(read.subarray(i % 65_536, (i % 65_536) + 1));
    // The first 64 as they came, the rest gathered into one.
    expect(h.size).toBe(65);
    expect(h.bytes).toBe(1_000_000);
    expect(h.lastByte).toBe(0x61);
    const all = h.take();
    expect(all.length).toBe(1_000_000);
    expect(all.every((b) => b === 0x61)).toBe(true);
  });

  it('keeps large reads as they came, interleaved with gathered small ones (a 50 MiB body is not held in a 100 MiB copy)', () => {
    const h = new HeldBytes();
    const big = Buffer.alloc(64 * 1024, 0x62);
    const expected: Buffer[] = [];
    for (let i = 0; i < 500; i++) {
      const piece = i % 3 === 0 ? big : Buffer.from([0x30 + (i % 10)]);
      h.push(piece);
      expected.push(piece);
    }
    // 167 large reads, each a piece of its own; the 333 one-byte reads between them in a few gathered pieces.
    expect(h.size).toBeLessThan(64 + 2 * 167);
    expect(h.take().equals(Buffer.concat(expected))).toBe(true);
  });

  it('keeps a few reads as the reads themselves (no copy on the usual path)', () => {
    const h = new HeldBytes();
    const a = Buffer.from('data: {"a"');
    h.push(a);
    expect(h.take()).toBe(a);
  });
});
