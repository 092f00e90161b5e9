/**
 * One key's sliding window in memory (store.ts has the algorithm): SPAN = BUCKETS + 1 buckets in a ring,
 * bucket `b` in slot `b mod SPAN`; usage at bucket `cur` is the sum of the buckets newer than `cur − SPAN`.
 *
 * Every tenant request reads usage several times (admission, then the x-ratelimit-* state of each limit), so
 * the sum is kept, not recomputed per read: it is summed afresh once per bucket (the first read in a new
 * bucket, ~1 s in a 60 s window) and only added to within one. Summing afresh is also what keeps it exact:
 * fractions (micro-dollars) added and refunded by the million would drift in a sum kept forever, and a window
 * everything has left reads 0, not a rounding error. Every loop here runs at most SPAN steps, counted by an
 * integer, whatever the bucket numbers are.
 */
import { BUCKETS, type WindowState } from './store.js';

/** Buckets kept: the window's BUCKETS plus the one it is sliding out of (see store.ts). */
export const SPAN = BUCKETS + 1;

const slot = (bucket: number): number => ((bucket % SPAN) + SPAN) % SPAN;

export class SlidingWindow {
  private readonly counts = new Float64Array(SPAN);
  private readonly index = new Float64Array(SPAN).fill(-Infinity);
  /** The sum of the slots counted as of bucket `upTo`: those whose bucket is newer than `upTo − SPAN`. */
  private sum = 0;
  private upTo = -Infinity;
  /** The newest bucket ever written: where the search for the newest non-empty one starts. */
  private top = -Infinity;

  /** Brings `sum` to bucket `cur`: summed afresh when the bucket changed. */
  private sync(cur: number): void {
    if (cur === this.upTo) return;
    if (this.top > cur) this.clampFuture(cur);
    this.upTo = cur;
    let sum = 0;
    for (let s = 0; s < SPAN; s++) if (this.index[s]! > cur - SPAN) sum += this.counts[s]!;
    this.sum = sum;
  }

  /**
   * The clock stepped back: usage counted in buckets ahead of `cur` is counted as `cur`'s, so it leaves the window
   * one window from now — not once the clock has caught up with it, which locked a tenant out for the whole step.
   */
  private clampFuture(cur: number): void {
    let moved = 0;
    let top = -Infinity;
    for (let s = 0; s < SPAN; s++) {
      const b = this.index[s]!;
      if (b > cur) {
        moved += this.counts[s]!;
        this.index[s] = -Infinity;
        this.counts[s] = 0;
      } else if (b > top) top = b;
    }
    this.top = top;
    this.upTo = -Infinity;
    if (moved > 0) this.add(cur, moved);
  }

  used(cur: number): number {
    this.sync(cur);
    return this.sum;
  }

  /** Adds to the current bucket (never one that is past or ahead). */
  add(bucket: number, n: number): void {
    this.sync(bucket);
    const s = slot(bucket);
    const counted = this.upTo - SPAN;
    if (this.index[s] !== bucket) {
      if (this.index[s]! > counted) this.sum -= this.counts[s]!;
      this.index[s] = bucket;
      this.counts[s] = 0;
      if (bucket > this.top) this.top = bucket;
    }
    this.counts[s]! += n;
    if (bucket > counted) this.sum += n;
  }

  /** Changes a past bucket (refund or debt) while it is still in the window; a refund never goes below 0. */
  adjust(bucket: number, cur: number, delta: number): void {
    this.sync(cur);
    // A reservation from before a backward clock step: its bucket was moved to now (clampFuture).
    if (bucket > cur) bucket = cur;
    const s = slot(bucket);
    if (bucket > cur - SPAN && this.index[s] === bucket) {
      const before = this.counts[s]!;
      const after = Math.max(0, before + delta);
      this.counts[s] = after;
      if (bucket > this.upTo - SPAN) this.sum += after - before;
    } else if (delta > 0) this.add(cur, delta);
  }

  /** Milliseconds until `cost` fits under `limit`, or -1 if it never can. */
  retryAfter(cur: number, now: number, bucketMs: number, cost: number, limit: number): number {
    if (cost > limit) return -1;
    let used = this.used(cur);
    for (let i = 1; i <= SPAN; i++) {
      const b = cur - SPAN + i;
      const s = slot(b);
      if (this.index[s] === b) used -= this.counts[s]!;
      if (used + cost <= limit) return Math.max(1, (b + SPAN) * bucketMs - now);
    }
    return bucketMs;
  }

  /**
   * Milliseconds until `cost` fits under `limit` beside a debt of `carry` that drains by `rate` a millisecond, or -1 if
   * it never can: the first moment the buckets that have left the window and the debt drained meanwhile leave it room.
   * Usage is constant between two buckets' departures, so each such span is tried in turn, oldest bucket first.
   */
  retryAfterDraining(cur: number, now: number, bucketMs: number, cost: number, limit: number, carry: number, rate: number): number {
    if (cost > limit) return -1;
    /** The first moment from `from` on that the debt leaves room beside `used`, or -1 (no room, or a debt that never drains). */
    const fits = (used: number, from: number): number => {
      const room = limit - cost - used;
      if (room < 0) return -1;
      if (carry <= room) return from;
      return rate > 0 ? Math.max(from, (carry - room) / rate) : -1;
    };
    let used = this.used(cur);
    let from = 0;
    for (let i = 1; i <= SPAN; i++) {
      const b = cur - SPAN + i;
      const s = slot(b);
      if (this.index[s] !== b || this.counts[s] === 0) continue;
      const leaves = (b + SPAN) * bucketMs - now;
      const t = fits(used, from);
      if (t >= 0 && t < leaves) return t;
      used -= this.counts[s]!;
      from = Math.max(from, leaves);
    }
    // Every bucket has left: the window is empty (its sum, summed afresh, may keep a rounding error of fractions).
    return fits(0, from);
  }

  /** The newest non-empty bucket still in the window at `cur`, or -Infinity. */
  private newest(cur: number): number {
    const oldest = cur - SPAN + 1;
    if (this.top - oldest < SPAN) {
      // Usually the first step finds it: the bucket just written.
      for (let i = 0; i < SPAN && this.top - i >= oldest; i++) {
        const b = this.top - i;
        const s = slot(b);
        if (this.index[s] === b && this.counts[s]! > 0) return b;
      }
      return -Infinity;
    }
    let newest = -Infinity;
    for (let s = 0; s < SPAN; s++) if (this.index[s]! >= oldest && this.counts[s]! > 0) newest = Math.max(newest, this.index[s]!);
    return newest;
  }

  state(cur: number, now: number, bucketMs: number, limit: number, carry = 0): WindowState {
    const used = this.used(cur) + carry;
    const newest = this.newest(cur);
    return {
      limit,
      remaining: Math.max(0, Math.floor(limit - used)),
      resetMs: newest === -Infinity ? 0 : Math.max(0, (newest + SPAN) * bucketMs - now),
    };
  }
}
