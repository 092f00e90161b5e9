/** The in-process store: the sliding window of store.ts over ring buffers; no I/O, no timers. */
import {
  BUCKETS,
  type AdmitInput,
  type AdmitOutcome,
  type LimitKind,
  type LimitState,
  type LimitStore,
  type Reservation,
  type WindowState,
} from './store.js';

/** Buckets kept: the window's BUCKETS plus the one it is sliding out of (see store.ts). */
const SPAN = BUCKETS + 1;

class SlidingWindow {
  private readonly counts = new Float64Array(SPAN);
  private readonly index = new Float64Array(SPAN).fill(-Infinity);

  used(cur: number): number {
    let sum = 0;
    for (let s = 0; s < SPAN; s++) if (this.index[s]! > cur - SPAN) sum += this.counts[s]!;
    return sum;
  }

  add(bucket: number, n: number): void {
    const s = bucket % SPAN;
    if (this.index[s] !== bucket) {
      this.index[s] = bucket;
      this.counts[s] = 0;
    }
    this.counts[s]! += n;
  }

  /** Changes a past bucket (refund or debt) while it is still in the window; a refund never goes below 0. */
  adjust(bucket: number, cur: number, delta: number): void {
    if (bucket > cur - SPAN && this.index[bucket % SPAN] === bucket) {
      const s = bucket % SPAN;
      this.counts[s] = Math.max(0, this.counts[s]! + delta);
    } else if (delta > 0) this.add(cur, delta);
  }

  /** Milliseconds until `cost` fits under `limit`, or -1 if it never can. */
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

  state(cur: number, now: number, bucketMs: number, limit: number, carry = 0): WindowState {
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

interface KeyState {
  tokens: SlidingWindow;
  requests: SlidingWindow;
  leases: Set<string>;
  /** Token debt beyond what the window could hold (store.ts), and when it was last brought up to date. */
  carry: number;
  carryAt: number;
}

export class MemoryLimitStore implements LimitStore {
  private readonly keys = new Map<string, KeyState>();
  private readonly bucketMs: number;

  constructor(
    private readonly windowMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.bucketMs = windowMs / BUCKETS;
  }

  private of(key: string): KeyState {
    let k = this.keys.get(key);
    if (!k) {
      k = { tokens: new SlidingWindow(), requests: new SlidingWindow(), leases: new Set(), carry: 0, carryAt: 0 };
      this.keys.set(key, k);
    }
    return k;
  }

  /** The debt still owed now: it drains at the limit's own rate, one limit per window. */
  private carryLeft(k: KeyState, now: number, limit: number): number {
    if (k.carry <= 0) return 0;
    k.carry = Math.max(0, k.carry - (limit * (now - k.carryAt)) / this.windowMs);
    k.carryAt = now;
    return k.carry;
  }

  private states(input: AdmitInput, cur: number, now: number): LimitState[] {
    return input.specs.map((spec) => {
      const k = this.of(spec.key);
      const st: LimitState = { key: spec.key };
      if (spec.tpm !== undefined) st.tokens = k.tokens.state(cur, now, this.bucketMs, spec.tpm, this.carryLeft(k, now, spec.tpm));
      if (spec.rpm !== undefined) st.requests = k.requests.state(cur, now, this.bucketMs, spec.rpm);
      if (spec.concurrency !== undefined) st.concurrency = { limit: spec.concurrency, active: k.leases.size };
      return st;
    });
  }

  /** Synchronous admission (the memory store needs no I/O); `admit` wraps it. */
  admitNow(input: AdmitInput): AdmitOutcome {
    const now = this.clock();
    const cur = Math.floor(now / this.bucketMs);
    for (const spec of input.specs) {
      const k = this.of(spec.key);
      const deny = (kind: LimitKind, retryAfterMs: number): AdmitOutcome => ({
        ok: false,
        kind,
        key: spec.key,
        retryAfterMs: Math.max(0, retryAfterMs),
        permanent: retryAfterMs < 0,
        states: this.states(input, cur, now),
      });
      if (spec.rpm !== undefined && k.requests.used(cur) + 1 > spec.rpm)
        return deny('requests', k.requests.retryAfter(cur, now, this.bucketMs, 1, spec.rpm));
      if (spec.tpm !== undefined) {
        const carry = this.carryLeft(k, now, spec.tpm);
        if (k.tokens.used(cur) + carry + input.tokens > spec.tpm) {
          const inWindow = k.tokens.retryAfter(cur, now, this.bucketMs, input.tokens + carry, spec.tpm);
          const drained = carry > 0 && input.tokens <= spec.tpm ? Math.ceil((carry * this.windowMs) / spec.tpm) : 0;
          return deny('tokens', input.tokens > spec.tpm ? -1 : Math.max(inWindow, drained));
        }
      }
      if (spec.concurrency !== undefined && k.leases.size >= spec.concurrency)
        return deny('concurrency', spec.concurrency === 0 ? -1 : 1000);
    }
    for (const spec of input.specs) {
      const k = this.of(spec.key);
      if (spec.rpm !== undefined) k.requests.add(cur, 1);
      if (spec.tpm !== undefined) k.tokens.add(cur, input.tokens);
      if (spec.concurrency !== undefined) k.leases.add(input.lease);
    }
    return {
      ok: true,
      reservation: { specs: input.specs, tokens: input.tokens, lease: input.lease, bucket: cur },
      states: this.states(input, cur, now),
    };
  }

  async admit(input: AdmitInput): Promise<AdmitOutcome> {
    return this.admitNow(input);
  }

  settleNow(r: Reservation, actualTokens: number): void {
    const now = this.clock();
    const cur = Math.floor(now / this.bucketMs);
    const delta = actualTokens - r.tokens;
    for (const spec of r.specs) {
      const k = this.of(spec.key);
      if (spec.tpm !== undefined && delta < 0) k.tokens.adjust(r.bucket, cur, delta);
      else if (spec.tpm !== undefined && delta > 0) {
        // Debt: what the window can still hold goes in it; the rest carries into later windows.
        const carry = this.carryLeft(k, now, spec.tpm);
        const room = Math.max(0, spec.tpm - k.tokens.used(cur) - carry);
        const inWindow = Math.min(delta, room);
        if (inWindow > 0) k.tokens.adjust(r.bucket, cur, inWindow);
        if (delta > inWindow) {
          k.carry = carry + (delta - inWindow);
          k.carryAt = now;
        }
      }
      k.leases.delete(r.lease);
    }
  }

  releaseNow(r: Reservation): void {
    for (const spec of r.specs) this.of(spec.key).leases.delete(r.lease);
  }

  async release(r: Reservation): Promise<void> {
    this.releaseNow(r);
  }

  async settle(r: Reservation, actualTokens: number): Promise<void> {
    this.settleNow(r, actualTokens);
  }

  async renew(): Promise<void> {}

  async close(): Promise<void> {
    this.keys.clear();
  }
}
