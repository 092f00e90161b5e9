/** The bounded LRU set behind the mock's prefix cache and the gateway's prefix index. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LruSet } from '../../../src/core/lru-set.js';

describe('LruSet', () => {
  it('evicts the least recently touched key, and says so', () => {
    const s = new LruSet(3);
    expect([1, 2, 3].map((k) => s.touch(k))).toEqual([false, false, false]);
    s.touch(1); // 2 is now the least recent
    expect(s.touch(4)).toBe(true);
    expect([1, 2, 3, 4].map((k) => s.has(k))).toEqual([true, false, true, true]);
    expect(s.size).toBe(3);
  });

  it('behaves like a reference LRU for any sequence of touches', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 300 }), (cap, seq) => {
        const s = new LruSet(cap);
        let ref: number[] = []; // most recent last
        for (const k of seq) {
          const had = ref.includes(k);
          ref = [...ref.filter((x) => x !== k), k];
          const evicts = !had && ref.length > cap;
          if (evicts) ref.shift();
          expect(s.touch(k)).toBe(evicts);
        }
        expect(s.size).toBe(ref.length);
        for (let k = 0; k <= 20; k++) expect(s.has(k)).toBe(ref.includes(k));
      }),
    );
  });

  it('clears, and refuses a capacity below 1', () => {
    const s = new LruSet(2);
    s.touch(1);
    s.clear();
    expect(s.size).toBe(0);
    expect(s.has(1)).toBe(false);
    s.touch(5);
    expect(s.has(5)).toBe(true);
    expect(() => new LruSet(0)).toThrow(RangeError);
  });

  it('costs O(1) a touch when full (a Map used as a FIFO costs O(size) in V8)', () => {
    const s = new LruSet(50_000);
    const t = performance.now();
    for (let i = 0; i < 1_000_000; i++) s.touch(i);
    // About 0.1 µs a touch (1 µs on a loaded machine); a Map used as the LRU costs O(size), ~150 µs a touch at
    // this size: the bound (20 µs) sits orders of magnitude from both.
    expect((performance.now() - t) / 1_000_000).toBeLessThan(0.02);
  });
});
