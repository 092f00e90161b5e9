/**
 * What to do after an attempt failed before any byte reached the client — a pure function of the plan, the
 * attempts so far and the failure, so every retry rule is unit-tested without a socket:
 *  - a refused or reset connection (a keep-alive race, a restarting replica) is retried once on the same
 *    target after a short jitter, when the budget still leaves a try for every target not yet tried;
 *  - otherwise the next target of the plan is tried, skipping ejected ones;
 *  - going round the plan again is for overload answers (503, 429) only — a timeout would just repeat —,
 *    waiting for a backend's retry-after (up to a cap; past it, that backend is not come back to) before trying
 *    that same backend again, whichever target failed last; without one, a jittered backoff that doubles each round
 *    (revisitBackoffMs);
 *  - at most `attempts` tries in all (every target is tried at least once).
 * It also says whether a failure counts toward the backend's ejection: a 429 never does (the backend is
 * healthy, just busy), a queue timeout never does (the queue is ours), nor does a connection the gateway's own host
 * refused (out of descriptors: `local_resources`), nor does a head that missed its deadline
 * only because it comes after an answer as long as the client asked for (`lengthTimed`), or because the wait for a
 * connection took most of it (`queueTimed`), and the status failures
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
  /**
   * A timeout waiting for a head that was due early because the attempt first waited for a connection — the gateway's
   * queue, as a queue timeout is (deadlineCutByQueue): a backend whose connections a tenant's long streams held was
   * given what was left of timeouts.firstByte, 1 ms at the least, and three such attempts ejected a busy, healthy
   * backend. Still tried on the next target, as any timeout.
   */
  queueTimed?: boolean | undefined;
  /**
   * The backend said it does not serve the model it was sent (upstream-error.ts modelNotServed) while the profile sends
   * it other models too: that model is missing there, the backend is not failing — its other models' answers are still
   * good. Counted, five quick requests for a model one replica lacks (a LoRA adapter not loaded, a retired model on a
   * hosted backend) ejected that replica for every model it serves, and kept it out at each cooldown's end.
   */
  modelOnly?: boolean | undefined;
}

/**
 * Whether waiting `queuedMs` for a connection left the backend less than half of `firstByteMs` (0: no deadline) for
 * its head. A backend that is in fact hung is still told by the attempts that found a connection free: they hold
 * its connections until the whole deadline passes, and the attempts queued behind them are refused by the queue.
 */
export function deadlineCutByQueue(queuedMs: number | undefined, firstByteMs: number): boolean {
  return queuedMs !== undefined && firstByteMs > 0 && queuedMs * 2 > firstByteMs;
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
  /**
   * Per plan position (index modulo the plan's length), when the retry-after its backend answered ends, on the
   * caller's clock (ms). Only the last failure's was read: with two targets both answering 429 and retry-after 1,
   * the plan came round to the first at once, never waiting, and one that asked for an hour was tried again as well.
   */
  readonly retryAt?: ReadonlyMap<number, number>;
}

export type NextStep = { kind: 'try'; index: number; delayMs: number } | { kind: 'give-up' };

export interface Decision {
  next: NextStep;
  state: AttemptState;
  /** Whether this failure counts toward the failing backend's ejection. */
  countsAgainstHealth: boolean;
}

/**
 * The answers of a backend that is well but busy (429, 503, Anthropic's 529): only these go round the plan again, back
 * to a target already tried. Any other 5xx would just repeat, as a timeout would — every one went round: a proxy's 504
 * after its read timeout (nginx's 60 s, outlasted by a long non-streamed answer) had the same backend generate the same
 * answer three times for one request, a 500 was sent three times to the handler it crashes, and the client's SDK
 * retries the 502 it gets (openai-node twice), multiplying whatever the gateway repeated.
 */
const OVERLOAD: ReadonlySet<number> = new Set([429, 503, 529]);

/** The first round's backoff before a target is tried again with no retry-after, and the most any round waits. */
export const REVISIT_BACKOFF_MS = 100;
export const REVISIT_BACKOFF_MAX_MS = 1000;

/**
 * The wait before a target is tried again in round `round` (1: the plan's second pass) when its backend named no
 * retry-after: 100 ms doubling each round, up to 1 s, jittered down to half (`rand` in [0, 1)) so that requests
 * refused together do not come back together. Without it the plan came round at once: a single-target model's three
 * attempts reached a backend that had just said it was overloaded within a millisecond or two.
 */
export function revisitBackoffMs(round: number, rand: number): number {
  const full = Math.min(REVISIT_BACKOFF_MAX_MS, REVISIT_BACKOFF_MS * 2 ** Math.max(0, round - 1));
  return full * (0.5 + Math.min(1, Math.max(0, rand)) / 2);
}

export const FIRST_ATTEMPT: AttemptState = { tried: 1, index: 0, quickRetried: false, statusCounted: false };

/**
 * The next step after `failure` on target `state.index`. `available(i)` says whether plan target i may be
 * tried now (not ejected); `jitterMs` is the quick retry's wait, `now` the clock's reading in ms and `rand` (in [0, 1))
 * the revisit backoff's jitter (injected: tests pass constants).
 */
export function afterFailure(
  planLength: number,
  state: AttemptState,
  failure: AttemptFailure,
  limits: AttemptLimits,
  available: (index: number) => boolean,
  jitterMs: number,
  now = 0,
  rand = 1,
): Decision {
  const isStatus = failure.kind === 'status';
  const countsAgainstHealth =
    failure.kind !== 'queue' &&
    failure.kind !== 'local_resources' &&
    failure.status !== 429 &&
    failure.lengthTimed !== true &&
    failure.queueTimed !== true &&
    failure.modelOnly !== true &&
    !(isStatus && state.statusCounted);
  const retryAt =
    failure.retryAfterMs === undefined ? state.retryAt : new Map(state.retryAt).set(state.index % planLength, now + failure.retryAfterMs);
  const counted: AttemptState = {
    ...state,
    statusCounted: state.statusCounted || (isStatus && countsAgainstHealth),
    ...(retryAt ? { retryAt } : {}),
  };
  const budget = Math.max(planLength, limits.attempts);
  const giveUp = (s: AttemptState): Decision => ({ next: { kind: 'give-up' }, state: s, countsAgainstHealth });
  if (state.tried >= budget) return giveUp(counted);
  // The quick retry takes a try only when one is left for every target not yet tried: taken anyway, a plan as long as
  // the budget (two replicas and a fallback, attempts 3) spent it on a dead replica's second refusal, and with both
  // replicas refusing the fallback was never tried — a 502 for every request until they were ejected.
  const untried = Math.max(0, planLength - 1 - state.index);
  if (failure.kind === 'connect_error' && !state.quickRetried && state.tried + 1 + untried <= budget) {
    return {
      next: { kind: 'try', index: state.index, delayMs: jitterMs },
      state: { ...counted, tried: state.tried + 1, quickRetried: true },
      countsAgainstHealth,
    };
  }
  // The next available target, going round again only for overload answers.
  const wraps = isStatus && OVERLOAD.has(failure.status ?? 0);
  for (let step = 1; step <= planLength; step++) {
    const index = state.index + step;
    if (index >= planLength && !wraps) return giveUp(counted);
    if (!available(index % planLength)) continue;
    const until = retryAt?.get(index % planLength);
    // A target tried before in this request, which named no wait: backed off (a new one is tried at once). The cap is
    // the backend's wait's: a retryAfterCap of 0 (wait for no backend) kept no overload from being retried at all.
    const round = Math.floor(index / planLength);
    const delayMs = until !== undefined ? Math.max(0, until - now) : round > 0 ? revisitBackoffMs(round, rand) : 0;
    if (until !== undefined && delayMs > limits.retryAfterCapMs) continue;
    return {
      next: { kind: 'try', index, delayMs },
      state: { ...counted, tried: state.tried + 1, index, quickRetried: false },
      countsAgainstHealth,
    };
  }
  return giveUp(counted);
}
