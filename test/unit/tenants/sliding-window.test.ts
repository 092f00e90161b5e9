/**
 * The memory store's window keeps its sum instead of recomputing it per read. Differential: every sequence
 * of writes, reads and clock moves (forward bucket by bucket, jumps, steps back) reads exactly as the
 * summing window it replaced (kept below as the reference). Found by review: a fraction test with a
 * tolerance flaked (an empty window and a limit of 0 turn a last-bit remainder into a whole bucket of
 * retry-after), a kept sum drifted over millions of fractional refunds, and bucket numbers past 2^53 (a
 * window of a few µs) never ended a loop over `b--`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SPAN, SlidingWindow } from '../../../src/tenants/limits/sliding-window.js';

/** The window as it was: every read sums all slots; and after a backward clock step, what is ahead counts as now. */
class SummingWindow {
  private readonly counts = new Float64Array(SPAN);
  private readonly index = new Float64Array(SPAN).fill(-Infinity);

  private clamp(cur: number): void {
    let moved = 0;
    for (let s = 0; s < SPAN; s++)
      if (this.index[s]! > cur) {
        moved += this.counts[s]!;
        this.index[s] = -Infinity;
        this.counts[s] = 0;
      }
    if (moved > 0) this.add(cur, moved);
  }

  used(cur: number): number {
    this.clamp(cur);
    let sum = 0;
    for (let s = 0; s < SPAN; s++) if (this.index[s]! > cur - SPAN) sum += this.counts[s]!;
    return sum;
  }

  add(bucket: number, n: number): void {
    this.clamp(bucket);
    const s = bucket % SPAN;
    if (this.index[s] !== bucket) {
      this.index[s] = bucket;
      this.counts[s] = 0;
    }
    this.counts[s]! += n;
  }

  adjust(bucket: number, cur: number, delta: number): void {
    this.clamp(cur);
    bucket = Math.min(bucket, cur);
    if (bucket > cur - SPAN && this.index[bucket % SPAN] === bucket) {
      const s = bucket % SPAN;
      this.counts[s] = Math.max(0, this.counts[s]! + delta);
    } else if (delta > 0) this.add(cur, delta);
  }

  retryAfter(cur: number, now: number, bucketMs: number, cost: number, limit: number): number {
    if (cost > limit) return -1;
    let used = this.used(cur);
    for (let b = cur - SPAN + 1; b <= cur; b++) {
      const s = b % SPAN;
      if (this.index[s] === b) used -= this.counts[s]!;
      if (used + cost <= limit) return Math.max(1, (b + SPAN) * bucketMs - now);
    }
    return bucketMs;
  }

  state(cur: number, now: number, bucketMs: number, limit: number, carry = 0) {
    this.clamp(cur);
    const used = this.used(cur) + carry;
    let newest = -Infinity;
    for (let s = 0; s < SPAN; s++) if (this.index[s]! > cur - SPAN && this.counts[s]! > 0) newest = Math.max(newest, this.index[s]!);
    return {
      limit,
      remaining: Math.max(0, Math.floor(limit - used)),
      resetMs: newest === -Infinity ? 0 : Math.max(0, (newest + SPAN) * bucketMs - now),
    };
  }
}

const BUCKET_MS = 1000;
type Op =
  | { op: 'tick'; by: number }
  | { op: 'add'; n: number }
  | { op: 'adjust'; back: number; delta: number }
  | { op: 'used' }
  | { op: 'state'; limit: number; carry: number }
  | { op: 'retry'; cost: number; limit: number };

const ops = (amount: fc.Arbitrary<number>) =>
  fc.array(
    fc.oneof(
      // Mostly forward a bucket or none; sometimes a jump past the window, sometimes the clock steps back.
      { weight: 6, arbitrary: fc.record({ op: fc.constant('tick' as const), by: fc.integer({ min: 0, max: 2 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), by: fc.integer({ min: -90, max: 150 }) }) },
      { weight: 6, arbitrary: fc.record({ op: fc.constant('add' as const), n: amount }) },
      {
        weight: 3,
        arbitrary: fc.record({
          op: fc.constant('adjust' as const),
          back: fc.integer({ min: 0, max: SPAN + 3 }),
          delta: fc.oneof(
            amount,
            amount.map((x) => -x),
          ),
        }),
      },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('used' as const) }) },
      {
        weight: 3,
        arbitrary: fc.record({
          op: fc.constant('state' as const),
          limit: fc.integer({ min: 0, max: 5000 }),
          carry: fc.constantFrom(0, 0, 7),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant('retry' as const),
          cost: fc.integer({ min: 0, max: 300 }),
          limit: fc.integer({ min: 0, max: 3000 }),
        }),
      },
    ),
    // Long runs: the window must slide past what was written, more than once (fast-check's default size
    // would keep most runs to a few steps).
    { minLength: 150, maxLength: 400 },
  );

/**
 * Two readings must be equal; `expect` only when they are not. Hundreds of thousands of readings per property: an
 * `expect` each made the first property take 19 s on a loaded 2-core machine, near the 30 s test timeout.
 */
const sameNumber = (a: number, b: number): void => {
  if (a !== b) expect(a).toBe(b);
};

/** Runs `seq` on both windows; `same` compares each pair of readings. */
function replay(seq: Op[], same: (a: number, b: number) => void): void {
  const kept = new SlidingWindow();
  const summed = new SummingWindow();
  let cur = 100_000;
  const now = () => cur * BUCKET_MS + 250;
  for (const o of seq) {
    switch (o.op) {
      case 'tick':
        cur += o.by;
        break;
      case 'add':
        kept.add(cur, o.n);
        summed.add(cur, o.n);
        break;
      case 'adjust':
        kept.adjust(cur - o.back, cur, o.delta);
        summed.adjust(cur - o.back, cur, o.delta);
        break;
      case 'used':
        same(kept.used(cur), summed.used(cur));
        break;
      case 'state': {
        const a = kept.state(cur, now(), BUCKET_MS, o.limit, o.carry);
        const b = summed.state(cur, now(), BUCKET_MS, o.limit, o.carry);
        same(a.remaining, b.remaining);
        if (a.resetMs !== b.resetMs || a.limit !== b.limit) expect(a).toEqual(b);
        break;
      }
      case 'retry':
        same(kept.retryAfter(cur, now(), BUCKET_MS, o.cost, o.limit), summed.retryAfter(cur, now(), BUCKET_MS, o.cost, o.limit));
        break;
    }
  }
  same(kept.used(cur), summed.used(cur));
}

describe('the memory store’s sliding window', () => {
  it('reads exactly as summing every slot, for whole counts (tokens, requests), whatever the clock does', () => {
    fc.assert(
      fc.property(ops(fc.integer({ min: 0, max: 200 })), (seq) => replay(seq, sameNumber)),
      { numRuns: 3000 },
    );
  });

  it('reads exactly as summing every slot for fractions (micro-dollars), summed afresh once per bucket', () => {
    // Multiples of 1/1024 add exactly in either order, so any difference is a bug, not rounding.
    const fraction = fc.integer({ min: 0, max: 200 * 1024 }).map((k) => k / 1024);
    fc.assert(
      fc.property(ops(fraction), (seq) => replay(seq, sameNumber)),
      { numRuns: 1000 },
    );
  });

  it('leaves no rounding behind once everything left the window, after a million fractional refunds', () => {
    const w = new SlidingWindow();
    let cur = 1_000_000;
    for (let i = 0; i < 1_000_000; i++) {
      if (i % 10_000 === 0) cur++;
      w.add(cur, 0.1);
      w.adjust(cur, cur, -0.07);
      w.used(cur);
    }
    expect(w.used(cur + SPAN)).toBe(0);
    expect(w.state(cur + SPAN, (cur + SPAN) * BUCKET_MS, BUCKET_MS, 1e9)).toEqual({ limit: 1e9, remaining: 1e9, resetMs: 0 });
  });

  it('ends every read in at most SPAN steps, even with bucket numbers past 2^53 (where b - 1 === b)', () => {
    const w = new SlidingWindow();
    const cur = 2 ** 54;
    w.add(cur, 5);
    expect(w.used(cur)).toBe(5);
    expect(w.state(cur, cur * BUCKET_MS, BUCKET_MS, 10).remaining).toBe(5);
    expect(w.retryAfter(cur, cur * BUCKET_MS, BUCKET_MS, 8, 10)).toBeGreaterThan(0);
    w.add(cur, -5);
    expect(w.state(cur, cur * BUCKET_MS, BUCKET_MS, 10).resetMs).toBe(0);
  });

  it('counts a bucket for SPAN buckets, then forgets it, reading only what left the window as time moves', () => {
    const w = new SlidingWindow();
    w.add(1000, 5);
    w.add(1001, 7);
    expect(w.used(1001)).toBe(12);
    expect(w.used(1000 + SPAN - 1)).toBe(12);
    expect(w.used(1000 + SPAN)).toBe(7);
    expect(w.used(1001 + SPAN)).toBe(0);
    // A clock that steps back counts what is still in its slots, as the summing window did.
    expect(w.used(1001)).toBe(12);
  });

  it('reuses the slot of a bucket that just left without counting it twice, and resets from the oldest one left', () => {
    const w = new SlidingWindow();
    w.add(1000, 5);
    for (let cur = 1001; cur <= 1000 + SPAN; cur++) w.used(cur);
    w.add(1000 + SPAN, 3);
    expect(w.used(1000 + SPAN)).toBe(3);
    const v = new SlidingWindow();
    v.add(1000, 5);
    const cur = 1000 + SPAN - 1;
    expect(v.state(cur, cur * BUCKET_MS, BUCKET_MS, 10)).toEqual({ limit: 10, remaining: 5, resetMs: BUCKET_MS });
  });
});
