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
    const score = rendezvousScore(h, seeds[i]!, weights[i]!);
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

/** One (session, target) score: `h` the session's hash (fnv1a of its key), `seed` the target's (targetSeed). */
function rendezvousScore(h: number, seed: number, weight: number): number {
  const u = (mix32(h, seed) + 0.5) / 4294967296;
  return weight / -Math.log(u);
}

/**
 * out[from, to) — targets of weight > 0 — in the session's own order, highest score first, in place: the order in
 * which its requests move as the targets above leave. A failed attempt's next target is so the one the session moves
 * to once the failing target is ejected (its cached prefix is already there), and a failing target's sessions fail
 * over to its peers by weight, as they move: in list order, every session of a failing target went to one replica.
 */
export function sessionOrder<T extends { readonly seed: number; readonly weight: number }>(
  sessionKey: string,
  out: T[],
  from: number,
  to: number,
): void {
  const h = fnv1a(sessionKey);
  const ranked = out.slice(from, to).map((t) => ({ t, score: rendezvousScore(h, t.seed, t.weight) }));
  ranked.sort((x, y) => y.score - x.score);
  for (let i = 0; i < ranked.length; i++) out[from + i] = ranked[i]!.t;
}
