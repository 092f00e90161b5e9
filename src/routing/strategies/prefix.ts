/**
 * `prefix`: send a prompt where its prefix is probably cached already (multi-turn chats, shared system
 * prompts, agents replaying long contexts), without piling a hot prefix onto one replica. As the Gateway
 * API Inference Extension's scheduler does, each replica gets a weighted sum of scores in [0, 1]:
 *
 *   score = 3 × prefix + 2 × load
 *   prefix = leading blocks the gateway's index says the replica holds / blocks in the prompt
 *   load   = (1 + least in-flight) / (1 + this replica's in-flight)      (per unit of weight)
 *
 * The weights 3 and 2 are llm-d's default scheduling profile (prefix-cache-scorer 3, queue-scorer 2): a
 * replica holding the whole prompt beats an idle one, but a partial match does not beat a much less loaded
 * replica. `load` is relative to the least loaded replica rather than min-max scaled, so one request more
 * or less does not swamp the prefix score the way a min-max queue score does at low load.
 *
 * Bounded load (Mirrokni et al.'s consistent hashing with bounded loads, HAProxy's hash-balance-factor): a
 * replica may take the request only while its in-flight + 1 ≤ ⌈1.25 × (all in-flight + 1) × its weight
 * share⌉, so no replica carries more than 1.25× its share however hot one prefix is; some replica always
 * qualifies. Exact ties go to a draw from the injected rng.
 */
import type { PrefixIndex } from '../prefix-index.js';
import { type Candidate, loadOf, type Strategy, usable } from './candidate.js';

export interface PrefixPolicy {
  readonly prefixWeight: number;
  readonly loadWeight: number;
  /** No replica takes more than this times its weight share of the requests in flight. */
  readonly loadFactor: number;
}

export const PREFIX_POLICY: PrefixPolicy = Object.freeze({ prefixWeight: 3, loadWeight: 2, loadFactor: 1.25 });

export interface PrefixState {
  readonly index: PrefixIndex;
  readonly policy: PrefixPolicy;
}

/** Whether `c` may take one more request under the bounded-load rule. */
export function withinBound(c: Candidate, totalInflight: number, totalWeight: number, loadFactor: number): boolean {
  return c.inflight + 1 <= Math.ceil((loadFactor * (totalInflight + 1) * c.weight) / totalWeight);
}

export const pickPrefix: Strategy<PrefixState> = (candidates, { index, policy }, facts, rng) => {
  let totalInflight = 0;
  let totalWeight = 0;
  let leastLoad = Infinity;
  for (const c of candidates) {
    if (!usable(c)) continue;
    totalInflight += c.inflight;
    totalWeight += c.weight;
    leastLoad = Math.min(leastLoad, loadOf(c));
  }
  if (totalWeight === 0) return -1;
  const blocks = facts.blocks;
  let best = -1;
  let bestScore = -Infinity;
  let ties = 0;
  for (let pass = 0; pass < 2 && best < 0; pass++) {
    // Pass 1 honours the bound; pass 2 (never needed with integer loads and a factor ≥ 1) ignores it.
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (!usable(c) || (pass === 0 && !withinBound(c, totalInflight, totalWeight, policy.loadFactor))) continue;
      const match = blocks.length === 0 ? 0 : index.matchLength(c.id, blocks) / blocks.length;
      const score = policy.prefixWeight * match + (policy.loadWeight * (1 + leastLoad)) / (1 + loadOf(c));
      if (score > bestScore) {
        best = i;
        bestScore = score;
        ties = 1;
      } else if (score === bestScore && rng.float() * ++ties < 1) {
        best = i;
      }
    }
  }
  return best;
};
