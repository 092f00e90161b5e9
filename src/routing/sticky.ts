/**
 * Sticky routing by weighted rendezvous hashing: every (session, target) pair gets a score
 * weight / -ln(u), u uniform from a hash of both; the highest wins. Across many sessions each target's
 * share equals its weight, and when a target leaves only its own sessions move (the minimum possible).
 */
import { fnv1a, mix32 } from '../core/hash.js';

export function stickyPick(
  sessionKey: string,
  seeds: readonly number[],
  weights: readonly number[],
  eligible: (i: number) => boolean,
): number {
  const h = fnv1a(sessionKey);
  let best = -1;
  let bestScore = -Infinity;
  for (let i = 0; i < seeds.length; i++) {
    if (weights[i]! <= 0 || !eligible(i)) continue;
    const u = (mix32(h, seeds[i]!) + 0.5) / 4294967296;
    const score = weights[i]! / -Math.log(u);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

/** A target's stable identity for hashing: the same target keeps its sessions across reloads. */
export function targetSeed(backend: string, upstreamModel: string): number {
  return fnv1a(`${backend}\u0000${upstreamModel}`);
}
