/** The in-process store: the sliding window of store.ts over ring buffers; no I/O, no timers. */
import { monotonicNow } from '../../core/clock.js';
import { SlidingWindow } from './sliding-window.js';
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

/** How long a debt takes to drain at its limit's rate (one limit per window). */
const drainMs = (carry: number, windowMs: number, limit: number): number => Math.ceil((carry * windowMs) / Math.max(limit, 1));

/** A debt the window could not hold (store.ts): what was still owed at `at` (the store's clock). */
export interface Debt {
  carry: number;
  at: number;
}

/**
 * An amount metered against a limit per window — tokens over the store's window, micro-dollars over a
 * budget's — with the debt the window could not hold (store.ts), brought up to date when read.
 */
class Meter {
  private readonly win = new SlidingWindow();
  readonly bucketMs: number;

  /**
   * `since`: when the meter was made (the store's clock) — a reservation from before then was never in it. `debt`: the
   * carried debt, which a token meter shares with the stores a reload replaces (DebtRegistry).
   */
  constructor(
    readonly windowMs: number,
    readonly since = 0,
    readonly debt: Debt = { carry: 0, at: 0 },
  ) {
    this.bucketMs = windowMs / BUCKETS;
  }

  bucket(now: number): number {
    return Math.floor(now / this.bucketMs);
  }

  /** The debt still owed now: it drains at the limit's own rate, one limit per window. */
  private carryLeft(now: number, limit: number): number {
    const d = this.debt;
    if (d.carry <= 0) return 0;
    d.carry = Math.max(0, d.carry - (limit * Math.max(0, now - d.at)) / this.windowMs);
    d.at = now;
    return d.carry;
  }

  /** 0 when `cost` fits now; else ms until it does, or -1 when it never can. */
  wait(now: number, cost: number, limit: number): number {
    const cur = this.bucket(now);
    const carry = this.carryLeft(now, limit);
    if (this.win.used(cur) + carry + cost <= limit) return 0;
    // It fits once the buckets that have left the window and the debt drained meanwhile (at the limit's rate, as
    // carryLeft drains it) leave it room — as Redis's ADMIT reads it. Asked for room for min(cost + debt, limit) in the
    // window as it stood, then for the whole debt's drain too, the wait was up to a window too long when the window's
    // usage spread over several buckets: ~12 s in a 12 s window for a request that fitted ~1 s later, once its oldest
    // bucket left.
    const w = this.win.retryAfterDraining(cur, now, this.bucketMs, cost, limit, carry, limit / this.windowMs);
    return w < 0 ? -1 : Math.max(1, Math.ceil(w));
  }

  add(now: number, cost: number): void {
    this.win.add(this.bucket(now), cost);
  }

  /** A refund goes back into the reservation's bucket; debt into the window as far as it has room, the rest carries. */
  settle(bucket: number, now: number, delta: number, limit: number): void {
    const cur = this.bucket(now);
    if (delta < 0) return this.win.adjust(bucket, cur, delta);
    if (delta === 0) return;
    const carry = this.carryLeft(now, limit);
    const room = Math.max(0, limit - this.win.used(cur) - carry);
    const inWindow = Math.min(delta, room);
    if (inWindow > 0) this.win.adjust(bucket, cur, inWindow);
    if (delta > inWindow) {
      this.debt.carry = carry + (delta - inWindow);
      this.debt.at = now;
    }
  }

  state(now: number, limit: number): WindowState {
    const cur = this.bucket(now);
    const carry = this.carryLeft(now, limit);
    const s = this.win.state(cur, now, this.bucketMs, limit, carry);
    // The window is as it was only once the debt has drained too: read from the buckets alone, a tenant whose buckets
    // had all left said 0 tokens left and a reset of 0 ms beside a retry-after of minutes (x-ratelimit-reset-tokens).
    if (carry > 0) s.resetMs = Math.max(s.resetMs, drainMs(carry, this.windowMs, limit));
    return s;
  }
}

interface KeyState {
  tokens: Meter;
  requests: SlidingWindow;
  leases: Set<string>;
  /**
   * The budget's meter, created on first use and replaced when a reload changes the budget's window (as Redis keys
   * it by length); held in a slot the store shares with the store a reload replaces it with (BudgetRegistry).
   */
  budget: { meter: Meter | undefined };
}

/**
 * Each limit key's budget meter, shared by a store and the one a reload replaces it with: a budget's window (a day, a
 * month) is its own, not the rate window's, so a reload that changed `limits.rateWindow` erased every tenant's spend.
 */
export type BudgetRegistry = Map<string, { meter: Meter | undefined }>;

/**
 * The requests holding a concurrency slot, per limit key. A store whose window a reload changed starts fresh
 * windows, but the requests in flight still hold their slots: the new store shares this with the old one, so a
 * slot taken on either is counted by both, and freed on whichever admitted it.
 */
export type LeaseRegistry = Map<string, Set<string>>;

/**
 * Each limit key's carried token debt, shared by a store and the one a reload replaces it with. A reload that changed
 * `limits.rateWindow` starts fresh windows, and made a fresh meter of each key's debt too: a tenant owing ten windows
 * of tokens was admitted at once, its debt gone — a reload was a way to reset a limit. The debt is tokens owed, not a
 * window's: it carries, draining at the limit's rate per the window of the store that reads it (what a request admitted
 * before the reload overran beyond its old window carries into it too).
 */
export type DebtRegistry = Map<string, Debt>;

/** A store's refusal. */
export type Refused = Extract<AdmitOutcome, { ok: false }>;

/** Whether a refusal's wait `w` (ms, -1 never) binds over `than`: never admits over any wait, a longer wait over a shorter. */
const outwaits = (w: number, than: number): boolean => than >= 0 && (w < 0 || w > than);

export class MemoryLimitStore implements LimitStore {
  private readonly keys = new Map<string, KeyState>();
  private readonly bucketMs: number;

  constructor(
    private readonly windowMs: number,
    private readonly clock: () => number = monotonicNow,
    readonly leases: LeaseRegistry = new Map(),
    readonly budgets: BudgetRegistry = new Map(),
    readonly debts: DebtRegistry = new Map(),
  ) {
    this.bucketMs = windowMs / BUCKETS;
  }

  private of(key: string): KeyState {
    let k = this.keys.get(key);
    if (!k) {
      let leases = this.leases.get(key);
      if (!leases) this.leases.set(key, (leases = new Set()));
      let budget = this.budgets.get(key);
      if (!budget) this.budgets.set(key, (budget = { meter: undefined }));
      let debt = this.debts.get(key);
      if (!debt) this.debts.set(key, (debt = { carry: 0, at: 0 }));
      k = { tokens: new Meter(this.windowMs, 0, debt), requests: new SlidingWindow(), leases, budget };
      this.keys.set(key, k);
    }
    return k;
  }

  private budgetOf(k: KeyState, windowMs: number, now: number): Meter {
    // A window of another length starts fresh, but what the tenant owes beyond the old one is money owed, not a window's:
    // it carries into the new one (as a token debt does across a changed rateWindow). Made anew, a tenant owing ten days
    // of its budget was admitted at once after a reload from 24h to 12h.
    if (k.budget.meter?.windowMs !== windowMs) k.budget.meter = new Meter(windowMs, now, k.budget.meter?.debt);
    return k.budget.meter;
  }

  private states(input: AdmitInput, cur: number, now: number): LimitState[] {
    const out: LimitState[] = [];
    for (let i = 0; i < input.specs.length; i++) {
      const spec = input.specs[i]!;
      const k = this.of(spec.key);
      const st: LimitState = { key: spec.key };
      if (spec.tpm !== undefined) st.tokens = k.tokens.state(now, spec.tpm);
      if (spec.rpm !== undefined) st.requests = k.requests.state(cur, now, this.bucketMs, spec.rpm);
      if (spec.concurrency !== undefined) st.concurrency = { limit: spec.concurrency, active: k.leases.size };
      if (spec.budget) st.budget = this.budgetOf(k, spec.budget.windowMs, now).state(now, spec.budget.microUsd);
      out.push(st);
    }
    return out;
  }

  /** Synchronous: the memory store needs no I/O. */
  admit(input: AdmitInput): AdmitOutcome {
    const now = this.clock();
    const cur = Math.floor(now / this.bucketMs);
    const refused = this.refusal(input, cur, now);
    if (refused) return refused;
    const microUsd = input.microUsd ?? 0;
    const specs = input.specs;
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const k = this.of(spec.key);
      if (spec.rpm !== undefined) k.requests.add(cur, 1);
      if (spec.tpm !== undefined) k.tokens.add(now, input.tokens);
      if (spec.concurrency !== undefined) k.leases.add(input.lease);
      if (spec.budget && microUsd > 0) this.budgetOf(k, spec.budget.windowMs, now).add(now, microUsd);
    }
    return {
      ok: true,
      reservation: { specs: input.specs, tokens: input.tokens, lease: input.lease, bucket: cur, microUsd, at: now },
      states: this.states(input, cur, now),
    };
  }

  /** The refusal `input` meets as the limits stand now, counting nothing: undefined when it would be admitted. */
  check(input: AdmitInput): Refused | undefined {
    const now = this.clock();
    return this.refusal(input, Math.floor(now / this.bucketMs), now);
  }

  /** The limits' state as `input`'s specs read them now (the x-ratelimit-* headers), counting nothing. */
  stateOf(input: AdmitInput): LimitState[] {
    const now = this.clock();
    return this.states(input, Math.floor(now / this.bucketMs), now);
  }

  private refusal(input: AdmitInput, cur: number, now: number): Refused | undefined {
    const microUsd = input.microUsd ?? 0;
    const specs = input.specs;
    // Indexed loops: specs are frozen (limiter.ts), and a for-of over a frozen array allocates an iterator
    // result per step in V8 (seen in allocation profiles of every tenant request).
    // The refusal says when the request fits every limit that refuses it: the longest wait among them (never, if any
    // never admits it). Said for the first checked, a client waiting the 6 s its rpm asked was refused again for the
    // 50 s its tpm still needed (or its model's rpm, after its tenant's): a retry-after that was a lie each time.
    // Locals, not a record or a closure: nothing is allocated on the way to an admission.
    let kind: LimitKind | undefined;
    let key = '';
    let wait = 0;
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const k = this.of(spec.key);
      let w: number;
      if (spec.rpm !== undefined && k.requests.used(cur) + 1 > spec.rpm) {
        w = k.requests.retryAfter(cur, now, this.bucketMs, 1, spec.rpm);
        if (kind === undefined || outwaits(w, wait)) [kind, key, wait] = ['requests', spec.key, w];
      }
      if (spec.tpm !== undefined && input.tokens > 0 && (w = k.tokens.wait(now, input.tokens, spec.tpm)) !== 0) {
        if (kind === undefined || outwaits(w, wait)) [kind, key, wait] = ['tokens', spec.key, w];
      }
      if (
        spec.budget &&
        microUsd > 0 &&
        (w = this.budgetOf(k, spec.budget.windowMs, now).wait(now, microUsd, spec.budget.microUsd)) !== 0
      ) {
        if (kind === undefined || outwaits(w, wait)) [kind, key, wait] = ['budget', spec.key, w];
      }
      if (spec.concurrency !== undefined && k.leases.size >= spec.concurrency) {
        w = spec.concurrency === 0 ? -1 : 1000;
        if (kind === undefined || outwaits(w, wait)) [kind, key, wait] = ['concurrency', spec.key, w];
      }
    }
    if (kind === undefined) return undefined;
    return { ok: false, kind, key, retryAfterMs: Math.max(0, wait), permanent: wait < 0, states: this.states(input, cur, now) };
  }

  settle(r: Reservation, actualTokens: number, actualMicroUsd = r.microUsd): void {
    const now = this.clock();
    for (let i = 0; i < r.specs.length; i++) {
      const spec = r.specs[i]!;
      const k = this.of(spec.key);
      if (spec.tpm !== undefined) k.tokens.settle(r.bucket, now, actualTokens - r.tokens, spec.tpm);
      if (spec.budget) {
        // A reload changed this budget's window since the request was admitted: its reservation went with the old
        // window (as Redis keys a budget by its length), and is not refunded in the new one. Replaced by a meter of
        // the old length here, the new window's spend was erased (and again by the next admission). Nor into a window
        // of the same length made since (a reload changed it and another changed it back): that one never held the
        // reservation, and a refund there erased the spend since.
        const held = k.budget.meter;
        const ownWindow = held !== undefined && held.windowMs === spec.budget.windowMs && held.since <= r.at;
        const b = held === undefined || ownWindow ? this.budgetOf(k, spec.budget.windowMs, now) : undefined;
        const delta = actualMicroUsd - r.microUsd;
        if (b) b.settle(b.bucket(r.at), now, delta, spec.budget.microUsd);
        // What it spent past its reservation is owed all the same: spent now, it goes into the window now (its debt
        // beyond), as Redis carries what the old window has no room for. Dropped with the refund, a request in flight
        // across the reload that overran its reservation by ten budgets cost the tenant nothing.
        else if (held && delta > 0) held.settle(held.bucket(now), now, delta, spec.budget.microUsd);
      }
      k.leases.delete(r.lease);
    }
  }

  release(r: Reservation): void {
    for (let i = 0; i < r.specs.length; i++) this.of(r.specs[i]!.key).leases.delete(r.lease);
  }

  async renew(): Promise<void> {}

  async close(): Promise<void> {
    this.keys.clear();
  }
}
