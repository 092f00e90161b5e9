/**
 * `cost`: the cheapest healthy target whose context window fits the request. The expected price of this
 * request on a target is (prompt tokens × input + max tokens × output) / 1e6 USD, from its `pricing`; a
 * target fits when prompt + max tokens ≤ its `contextWindow` (no window: it fits anything). Equal prices go
 * to the least loaded (per unit of weight), then to a draw. Targets without pricing are chosen only when no
 * priced one fits; when nothing fits, the largest window is chosen and the backend answers its own
 * context-length error (the estimate of prompt tokens is approximate — the backend knows). Cached-input
 * prices are not part of the choice: which prefix a backend holds is `prefix`'s business.
 *
 * Use it for hosted APIs or mixed fleets where price per token differs: a small model for the bulk, a
 * larger one only for what does not fit, or with `escalate` (escalation.ts) for long prompts. It has no
 * bounded-load rule across prices — it is meant to send everything to the cheapest; give that target the
 * capacity (pool queue, ejection and fallbacks protect it when it is overwhelmed).
 */
import { type Candidate, loadOf, type RequestFacts, type Strategy, usable } from './candidate.js';

/** The expected USD cost of this request on `c`; Infinity without pricing. */
export function expectedCost(c: Candidate, facts: RequestFacts): number {
  if (!c.pricing) return Infinity;
  return (facts.promptTokens * c.pricing.input + facts.maxTokens * c.pricing.output) / 1e6;
}

function fits(c: Candidate, facts: RequestFacts): boolean {
  return c.contextWindow === undefined || facts.promptTokens + facts.maxTokens <= c.contextWindow;
}

export const pickCost: Strategy<unknown> = (candidates, _state, facts, rng) => {
  let best = -1;
  let bestCost = Infinity;
  let bestLoad = Infinity;
  let ties = 0;
  let widest = -1;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (!usable(c)) continue;
    if (!fits(c, facts)) {
      if (widest < 0 || (c.contextWindow ?? 0) > (candidates[widest]!.contextWindow ?? 0)) widest = i;
      continue;
    }
    const cost = expectedCost(c, facts);
    const load = loadOf(c);
    if (best < 0 || cost < bestCost || (cost === bestCost && load < bestLoad)) {
      best = i;
      bestCost = cost;
      bestLoad = load;
      ties = 1;
    } else if (cost === bestCost && load === bestLoad && rng.float() * ++ties < 1) {
      best = i;
    }
  }
  return best >= 0 ? best : widest;
};
