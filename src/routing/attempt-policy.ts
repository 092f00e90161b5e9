/**
 * What to do after an attempt failed before any byte reached the client — a pure function of the plan, the
 * attempts so far and the failure, so every retry rule is unit-tested without a socket:
 *  - a refused or reset connection (a keep-alive race, a restarting replica) is retried once on the same
 *    target after a short jitter;
 *  - otherwise the next target of the plan is tried, skipping ejected ones;
 *  - going round the plan again is for overload answers (503, 429) only — a timeout would just repeat —,
 *    waiting for a backend's retry-after (up to a cap) before trying that same backend again;
 *  - at most `attempts` tries in all (every target is tried at least once).
 * It also says whether a failure counts toward the backend's ejection: a 429 never does (the backend is
 * healthy, just busy), a queue timeout never does (the queue is ours), nor does a head that missed its deadline
 * only because it comes after an answer as long as the client asked for (`lengthTimed`), and the status failures
 * one request causes count once, however many targets it tries — so one client's poison request cannot eject a pool.
 */
import type { UpstreamFailure } from '../events/types.js';

export interface AttemptFailure {
  kind: UpstreamFailure;
  /** The backend's HTTP status, for `status` failures. */
  status?: number | undefined;
  /** The backend's retry-after, in ms. */
  retryAfterMs?: number | undefined;
  /**
   * A timeout waiting for a head that comes only after the whole answer (a non-streamed generation longer than a
   * few tokens, once written): its time is the answer's length, which the client chose — max_tokens 8,192 at 50
   * tokens/s outlasts the default 120 s on any healthy replica. Counted, three such requests from any client ejected
   * every target of a model. Still tried elsewhere: a replica that is in fact hung is not told apart here.
   */
  lengthTimed?: boolean | undefined;
}

export interface AttemptLimits {
  /** Tries per request (the plan's length when longer). */
  attempts: number;
  /** Longest retry-after waited for before the same backend is tried again. */
  retryAfterCapMs: number;
}

export interface AttemptState {
  /** Attempts made so far. */
  readonly tried: number;
  /** Index (into the plan, modulo its length) of the target just tried. */
  readonly index: number;
  readonly quickRetried: boolean;
  /** A status failure of this request has already counted toward a backend's ejection. */
  readonly statusCounted: boolean;
}

export type NextStep = { kind: 'try'; index: number; delayMs: number } | { kind: 'give-up' };

export interface Decision {
  next: NextStep;
  state: AttemptState;
  /** Whether this failure counts toward the failing backend's ejection. */
  countsAgainstHealth: boolean;
}

export const FIRST_ATTEMPT: AttemptState = { tried: 1, index: 0, quickRetried: false, statusCounted: false };

/**
 * The next step after `failure` on target `state.index`. `available(i)` says whether plan target i may be
 * tried now (not ejected); `jitterMs` is the quick retry's wait (injected: tests pass a constant).
 */
export function afterFailure(
  planLength: number,
  state: AttemptState,
  failure: AttemptFailure,
  limits: AttemptLimits,
  available: (index: number) => boolean,
  jitterMs: number,
): Decision {
  const isStatus = failure.kind === 'status';
  const countsAgainstHealth =
    failure.kind !== 'queue' && failure.status !== 429 && failure.lengthTimed !== true && !(isStatus && state.statusCounted);
  const counted: AttemptState = { ...state, statusCounted: state.statusCounted || (isStatus && countsAgainstHealth) };
  const budget = Math.max(planLength, limits.attempts);
  const giveUp = (s: AttemptState): Decision => ({ next: { kind: 'give-up' }, state: s, countsAgainstHealth });
  if (state.tried >= budget) return giveUp(counted);
  if (failure.kind === 'connect_error' && !state.quickRetried) {
    return {
      next: { kind: 'try', index: state.index, delayMs: jitterMs },
      state: { ...counted, tried: state.tried + 1, quickRetried: true },
      countsAgainstHealth,
    };
  }
  // The next available target, going round again only for overload answers.
  const wraps = isStatus;
  for (let step = 1; step <= planLength; step++) {
    const index = state.index + step;
    if (index >= planLength && !wraps) return giveUp(counted);
    if (!available(index % planLength)) continue;
    let delayMs = 0;
    if (index % planLength === state.index % planLength && failure.retryAfterMs !== undefined) {
      if (failure.retryAfterMs > limits.retryAfterCapMs) return giveUp(counted);
      delayMs = failure.retryAfterMs;
    }
    return {
      next: { kind: 'try', index, delayMs },
      state: { ...counted, tried: state.tried + 1, index, quickRetried: false },
      countsAgainstHealth,
    };
  }
  return giveUp(counted);
}
