/**
 * What the attempt stage tells the routing state about one attempt: the prompt blocks a target was sent
 * (its prefix cache now probably holds them) and how long it took to its first byte. Kept here so the
 * gateway calls two functions and never reaches into the state's parts.
 */
import type { Target } from './route-table.js';
import type { RequestFacts } from './strategies/candidate.js';
import type { RoutingState } from './strategies/choose.js';

/**
 * A failed attempt costs at least this many times the slowest estimate among its replicas: strictly more, so
 * a replica that keeps failing is tried again only once its estimate has decayed below theirs — after about
 * τ·ln 2 (3.5 s) — rather than tying with them and taking half the traffic.
 */
export const FAILURE_FACTOR = 2;
/**
 * The most a failure's penalty may reach (ms): when every replica fails (a client's bad requests refused by
 * all), each failure would otherwise double the last one's, without bound. From here to a 1 s estimate: τ·ln 60 ≈ 20 s.
 */
export const FAILURE_PENALTY_CAP_MS = 60_000;

/** On dispatch: the target holds the prompt's blocks now (a no-op unless the route computed them). */
export function recordDispatch(state: RoutingState, target: Target, facts: RequestFacts): void {
  if (facts.blocks.length > 0) state.prefix.record(target.id, facts.blocks);
}

/** A first byte of a 2xx answer `ms` after dispatch: the only observation that may lower an estimate. */
export function recordFirstByte(state: RoutingState, target: Target, ms: number): void {
  state.ttft.observe(target.id, ms, Date.now());
}

/**
 * A failed attempt — any answer but a 2xx, a refused or reset connection, a timeout — `ms` after dispatch.
 * It is a penalty, not an observation: a refused connection or a 404 comes back in a millisecond, and a dead
 * or misconfigured replica must not look like the quickest. So it costs the most of its own time, its
 * estimate, and twice the slowest estimate among its replicas (capped): never quicker than a replica that
 * answers. A client's own bad request costs its replica the same, but only until that decays (seconds).
 */
export function recordFailure(state: RoutingState, target: Target, ms: number): void {
  const now = Date.now();
  let slowest = 0;
  for (const r of target.replicas) if (r.id !== target.id) slowest = Math.max(slowest, state.ttft.estimate(r.id, now));
  const penalty = Math.min(FAILURE_PENALTY_CAP_MS, FAILURE_FACTOR * slowest);
  state.ttft.observe(target.id, Math.max(ms, state.ttft.estimate(target.id, now), penalty), now);
}
