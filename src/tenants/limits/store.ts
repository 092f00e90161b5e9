/**
 * Rate-limit stores: one interface, two implementations (memory for one process, Redis for several),
 * run through one shared test suite.
 *
 * The algorithm, in both: a sliding window cut into BUCKETS buckets. A key's usage is the sum of the
 * buckets inside the trailing window; a request is admitted only if usage + its cost fits the limit, for
 * every limit that applies (tenant-wide and per model), all-or-nothing. Why this and not the others:
 *  - a fixed window lets a client spend its budget at the end of one window and again at the start of the
 *    next: 2× the limit within a minute (docs/reliability.md, case 38);
 *  - a token bucket (or GCRA) that starts full admits a whole burst and then its refill: up to 2× in the
 *    first minute, and "admitted tokens per minute" drifts from the configured limit;
 *  - a sliding log is exact but costs memory per request.
 * The bucketed sliding window holds every span of one window's length to the limit: a bucket stops
 * counting only once the window has moved a whole bucket past it (BUCKETS + 1 buckets are summed), so
 * usage at the end of a bucket is never forgotten early. It costs O(BUCKETS) per check in Redis (the memory
 * store keeps its sum: sliding-window.ts) and gives an honest retry-after: the moment enough old buckets
 * leave for this request to fit.
 * TPM reserves an estimate at admission and is settled with the real usage afterwards (refund or debt).
 * A budget (`limits.budget`) is the same meter over micro-dollars in a window of its own length (`per`):
 * the request's most expensive outcome is reserved, its real cost settled.
 * Debt the window cannot hold (a request that used far more than it reserved) is not dropped when the
 * window moves on: it carries over, draining at the limit's own rate — one limit per window — so a tenant
 * that overspent by ten windows' worth waits ten windows.
 */

import type { MaybePromise } from '../../core/maybe-promise.js';

export const BUCKETS = 60;

export type LimitKind = 'tokens' | 'requests' | 'concurrency' | 'budget';

/** Spend per window, in micro-dollars (USD × 1e6), over a window of its own length. */
export interface BudgetSpec {
  microUsd: number;
  windowMs: number;
}

export interface LimitSpec {
  /** `tenant` or `tenant/model`, the tenant's own `/`s escaped as `%2F` (limiter.ts). */
  key: string;
  tpm?: number | undefined;
  rpm?: number | undefined;
  concurrency?: number | undefined;
  budget?: BudgetSpec | undefined;
}

export interface WindowState {
  limit: number;
  remaining: number;
  /** Until the window holds none of today's usage any more. */
  resetMs: number;
}

export interface LimitState {
  key: string;
  tokens?: WindowState;
  requests?: WindowState;
  concurrency?: { limit: number; active: number };
  /** In micro-dollars. */
  budget?: WindowState;
}

export interface AdmitInput {
  specs: readonly LimitSpec[];
  /**
   * Tokens to reserve against tpm. A request that reserves none (count_tokens: it costs a request — rpm,
   * concurrency — and no tokens, contract §7) is not held back by a tokens limit, even one in debt: it adds nothing
   * to what the limit counts, as a request that can cost nothing adds nothing to a budget.
   */
  tokens: number;
  /**
   * Micro-dollars to reserve against budgets. A request that can cost nothing (0: every target it can
   * reach is unpriced) is not held back by a budget, even an exhausted one.
   */
  microUsd?: number | undefined;
  /** A unique id for this request's concurrency lease. */
  lease: string;
}

export interface Reservation {
  specs: readonly LimitSpec[];
  tokens: number;
  lease: string;
  /** The bucket the reservation was counted in. */
  bucket: number;
  microUsd: number;
  /** When it was admitted, on the store's clock (ms): each budget's window finds its own bucket from it. */
  at: number;
}

export type AdmitOutcome =
  | { ok: true; reservation: Reservation; states: LimitState[] }
  | { ok: false; kind: LimitKind; key: string; retryAfterMs: number; permanent: boolean; states: LimitState[] };

/**
 * One limit's data in the store is unusable (a Redis key holding a value of another type): its requests cannot
 * be decided there, but the store is up and every other limit is still enforced in it.
 */
export class LimitKeyError extends Error {
  readonly code = 'limit_key_unusable';
}

/** The memory store answers at once (core/maybe-promise.ts); a shared store (Redis) later. */
export interface LimitStore {
  admit(input: AdmitInput): MaybePromise<AdmitOutcome>;
  /**
   * The limits' token and request windows as `input`'s specs read them now, counting nothing: the x-ratelimit-*
   * headers of an answer refused before admission. (Concurrency and budgets may be left out.)
   */
  stateOf(input: AdmitInput): MaybePromise<LimitState[]>;
  /**
   * Charges the real token usage and, when given, the real cost in micro-dollars (refunding or adding to
   * the reservation), and frees the lease.
   */
  settle(reservation: Reservation, actualTokens: number, actualMicroUsd?: number): MaybePromise<void>;
  /** Keeps a long request's concurrency lease alive. */
  renew(reservation: Reservation): Promise<void>;
  /** Frees the concurrency lease now, before the tokens are known (settle frees it too). */
  release(reservation: Reservation): MaybePromise<void>;
  close(): Promise<void>;
}
