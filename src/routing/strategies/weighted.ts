/**
 * `weighted` (the default): smooth weighted round-robin, nginx's algorithm — over any run of sum(weights)
 * picks each target gets exactly its weight, interleaved as evenly as possible, so a 95/5 canary is 95/5
 * over every 100 requests. It ignores load and latency: use it when every replica is alike and requests
 * are alike, or when exact shares matter more than anything else. The same rotation picks a group of
 * replicas for every other strategy (choose.ts), which is how they all keep a canary's share.
 */
import { type Strategy, usable } from './candidate.js';

/**
 * One smooth round-robin step. `weights` are read now (they may change between calls: an ejected replica
 * drops out and the shares renormalise over the rest); `current` is the rotation's state, one slot per
 * weight. Returns the slot picked, or -1 when every weight is 0.
 */
export function smoothPick(current: Float64Array, weights: ArrayLike<number>): number {
  let best = -1;
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!(w > 0)) continue;
    current[i]! += w;
    total += w;
    if (best < 0 || current[i]! > current[best]!) best = i;
  }
  if (best >= 0) current[best]! -= total;
  return best;
}

/** State: one number per candidate position (`new Float64Array(candidates.length)`). */
export const pickWeighted: Strategy<Float64Array> = (candidates, current) => {
  let best = -1;
  let total = 0;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (!usable(c)) continue;
    current[i]! += c.weight;
    total += c.weight;
    if (best < 0 || current[i]! > current[best]!) best = i;
  }
  if (best >= 0) current[best]! -= total;
  return best;
};
