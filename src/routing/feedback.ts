/**
 * What the attempt stage tells the routing state about one attempt: the prompt blocks a target was sent
 * (its prefix cache now probably holds them) and how long it took to its first byte. Kept here so the
 * gateway calls two functions and never reaches into the state's parts.
 */
import type { Target } from './route-table.js';
import type { RequestFacts } from './strategies/candidate.js';
import type { RoutingState } from './strategies/choose.js';

/** On dispatch: the target holds the prompt's blocks now (a no-op unless the route computed them). */
export function recordDispatch(state: RoutingState, target: Target, facts: RequestFacts): void {
  if (facts.blocks.length > 0) state.prefix.record(target.id, facts.blocks);
}

/** A first byte `ms` after dispatch. */
export function recordFirstByte(state: RoutingState, target: Target, ms: number): void {
  state.ttft.observe(target.id, ms, Date.now());
}

/**
 * A failed attempt, `ms` after dispatch, counts as that slow — but never as faster than the estimate: a
 * refused connection fails in a millisecond, and a dead replica must not look like the quickest one.
 */
export function recordFailure(state: RoutingState, target: Target, ms: number): void {
  const now = Date.now();
  state.ttft.observe(target.id, Math.max(ms, state.ttft.estimate(target.id, now)), now);
}
