/**
 * What a routing strategy sees: the candidates (targets with their live load), the facts of one request,
 * and an injected random source. A strategy is a function of these and its own state — no sockets, no
 * clock but `facts.now` — returning the position of its choice in `candidates`, or -1 when none is usable.
 */
import type { PricingConfig } from '../../profile/schema.js';

export interface Candidate {
  /**
   * The key of per-target state (TTFT history, prefix index): the same backend and upstream model keep
   * the same id in every target list and across reloads, e.g. `${backend}\u0000${upstreamModel}`.
   */
  readonly id: string;
  readonly weight: number;
  /** Healthy: not ejected nor cooling down. An ineligible or weight-0 candidate is never chosen. */
  readonly eligible: boolean;
  /** Requests in flight to this candidate's backend now (all models: they share one server). */
  readonly inflight: number;
  readonly pricing?: PricingConfig | undefined;
  /** Tokens (prompt + completion) the target accepts. */
  readonly contextWindow?: number | undefined;
}

export interface RequestFacts {
  /** Milliseconds, from the caller's clock. */
  readonly now: number;
  /** The prompt's tokens, estimated without tokenizing (prompt-size.ts). */
  readonly promptTokens: number;
  /** Completion tokens asked for (max_tokens, or the default the limits reserve). */
  readonly maxTokens: number;
  /** Chained block hashes of the prompt text (prompt-blocks.ts); empty when nobody needs them. */
  readonly blocks: readonly number[];
}

/** A source of uniform numbers in [0, 1): core/hash.ts's `Rng`, or `Math` itself. */
export interface Rng {
  float(): number;
}

export type Strategy<S> = (candidates: readonly Candidate[], state: S, facts: RequestFacts, rng: Rng) => number;

export function usable(c: Candidate): boolean {
  return c.eligible && c.weight > 0;
}

/** In-flight requests per unit of weight: a weight-2 replica at 4 in flight is as loaded as a weight-1 at 2. */
export function loadOf(c: Candidate): number {
  return c.inflight / c.weight;
}

/**
 * Power of two choices: two distinct usable candidates drawn with probability proportional to weight
 * (so weights act as multipliers even at zero load). Returns [first, second]; second is -1 when only one
 * candidate is usable, and both are -1 when none is.
 */
export function drawTwo(candidates: readonly Candidate[], rng: Rng): [number, number] {
  let total = 0;
  let count = 0;
  for (const c of candidates) {
    if (!usable(c)) continue;
    total += c.weight;
    count++;
  }
  if (count === 0) return [-1, -1];
  const first = drawOne(candidates, total, -1, rng);
  if (count === 1) return [first, -1];
  return [first, drawOne(candidates, total - candidates[first]!.weight, first, rng)];
}

function drawOne(candidates: readonly Candidate[], total: number, skip: number, rng: Rng): number {
  let x = rng.float() * total;
  let last = -1;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (i === skip || !usable(c)) continue;
    last = i;
    x -= c.weight;
    if (x < 0) return i;
  }
  return last; // rounding at the top end
}
