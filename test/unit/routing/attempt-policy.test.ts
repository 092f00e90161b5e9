/** The attempt policy as a pure function: every retry rule, without a socket. */
import { describe, expect, it } from 'vitest';
import {
  type AttemptFailure,
  type AttemptState,
  afterFailure,
  deadlineCutByQueue,
  FIRST_ATTEMPT,
  revisitBackoffMs,
} from '../../../src/routing/attempt-policy.js';

const limits = { attempts: 3, retryAfterCapMs: 1000 };
const all = () => true;
const fail = (kind: AttemptFailure['kind'], extra: Partial<AttemptFailure> = {}): AttemptFailure => ({ kind, ...extra });

/** Runs failures through the policy from the first attempt; returns the steps taken. */
function walk(planLength: number, failures: AttemptFailure[], available: (i: number) => boolean = all) {
  let state: AttemptState = FIRST_ATTEMPT;
  const steps: string[] = [];
  const counted: boolean[] = [];
  for (const f of failures) {
    const d = afterFailure(planLength, state, f, limits, available, 7);
    counted.push(d.countsAgainstHealth);
    if (d.next.kind === 'give-up') {
      steps.push('give-up');
      break;
    }
    steps.push(`try ${d.next.index % planLength}${d.next.delayMs ? ` after ${d.next.delayMs}ms` : ''}`);
    state = d.state;
  }
  return { steps, counted };
}

describe('the attempt policy', () => {
  it.each([
    ['a refused connection is retried once on the same target, after a jitter', 2, [fail('connect_error')], ['try 0 after 7ms']],
    ['a second refusal moves on', 2, [fail('connect_error'), fail('connect_error')], ['try 0 after 7ms', 'try 1']],
    ['a timeout moves on, and does not go round again', 2, [fail('timeout'), fail('timeout')], ['try 1', 'give-up']],
    [
      'a 503 goes round the plan again, within the attempt budget',
      2,
      [fail('status', { status: 503 }), fail('status', { status: 503 }), fail('status', { status: 503 })],
      ['try 1', 'try 0 after 100ms', 'give-up'],
    ],
    [
      'a retry-after is waited for before the same backend again',
      1,
      [fail('status', { status: 503, retryAfterMs: 200 })],
      ['try 0 after 200ms'],
    ],
    ['a retry-after beyond the cap gives up', 1, [fail('status', { status: 503, retryAfterMs: 5000 })], ['give-up']],
    [
      "a backend's retry-after is waited for when the plan comes round to it after another target failed",
      2,
      [fail('status', { status: 429, retryAfterMs: 200 }), fail('status', { status: 503 })],
      ['try 1', 'try 0 after 200ms'],
    ],
    [
      'a target whose retry-after is beyond the cap is not come back to: the plan goes on without it',
      2,
      [fail('status', { status: 429, retryAfterMs: 60_000 }), fail('status', { status: 503 }), fail('status', { status: 503 })],
      ['try 1', 'try 1 after 100ms', 'give-up'],
    ],
    ['a full queue moves on to the next target', 2, [fail('queue')], ['try 1']],
    [
      'a 500 moves on, and does not go round again',
      2,
      [fail('status', { status: 500 }), fail('status', { status: 500 })],
      ['try 1', 'give-up'],
    ],
    ["a proxy's 504 is not sent to the only target again", 1, [fail('status', { status: 504 })], ['give-up']],
    ['refused credentials (403) are not tried again where they were refused', 1, [fail('status', { status: 403 })], ['give-up']],
    ['a 429 goes round again, after a backoff', 1, [fail('status', { status: 429 })], ['try 0 after 100ms']],
    ["Anthropic's 529 (overloaded) goes round again, after a backoff", 1, [fail('status', { status: 529 })], ['try 0 after 100ms']],
    [
      'each round backs off twice as long',
      1,
      [fail('status', { status: 503 }), fail('status', { status: 503 }), fail('status', { status: 503 })],
      ['try 0 after 100ms', 'try 0 after 200ms', 'give-up'],
    ],
    ["a retry-after of 0 is the backend's word: no backoff", 1, [fail('status', { status: 503, retryAfterMs: 0 })], ['try 0']],
    [
      "a connection the gateway's own host refused (out of descriptors) moves on to the next target, not the same one again",
      2,
      [fail('local_resources'), fail('local_resources')],
      ['try 1', 'give-up'],
    ],
  ])('%s', (_name, planLength, failures, steps) => {
    expect(walk(planLength, failures).steps).toEqual(steps);
  });

  it('skips ejected targets', () => {
    expect(walk(3, [fail('timeout')], (i) => i !== 1).steps).toEqual(['try 2']);
  });

  it('tries every target of a long plan at least once, whatever the attempt budget', () => {
    const failures = Array.from({ length: 6 }, () => fail('timeout'));
    expect(walk(5, failures).steps).toEqual(['try 1', 'try 2', 'try 3', 'try 4', 'give-up']);
  });

  it('takes the quick retry only while a try is left for every target not yet tried', () => {
    // Two replicas refusing and a fallback, attempts 3: the quick retries spent the budget and the fallback was never tried.
    const refused = fail('connect_error');
    expect(walk(3, [refused, refused, refused]).steps).toEqual(['try 1', 'try 2', 'give-up']);
    expect(walk(4, [refused, refused, refused, refused]).steps).toEqual(['try 1', 'try 2', 'try 3', 'give-up']);
    // Room left: the keep-alive race is still retried on its own target.
    expect(walk(2, [refused, refused, refused]).steps).toEqual(['try 0 after 7ms', 'try 1', 'give-up']);
    expect(walk(2, [fail('timeout'), refused]).steps).toEqual(['try 1', 'try 1 after 7ms']);
  });

  it('counts toward ejection: not a 429, not our own queue, and a request’s status failures once', () => {
    expect(walk(3, [fail('status', { status: 429 })]).counted).toEqual([false]);
    expect(walk(3, [fail('queue')]).counted).toEqual([false]);
    expect(walk(3, [fail('local_resources')]).counted).toEqual([false]);
    expect(walk(3, [fail('status', { status: 500 }), fail('status', { status: 500 }), fail('status', { status: 500 })]).counted).toEqual([
      true,
      false,
      false,
    ]);
    expect(walk(3, [fail('connect_error'), fail('connect_error'), fail('timeout')]).counted).toEqual([true, true, true]);
  });

  it('does not count a timeout the answer’s asked-for length explains, and still tries the next target', () => {
    const timed = fail('timeout', { lengthTimed: true });
    expect(walk(3, [timed, timed, timed])).toEqual({ steps: ['try 1', 'try 2', 'give-up'], counted: [false, false, false] });
  });

  it('does not count a timeout whose deadline the wait for a connection spent, and still tries the next target', () => {
    const timed = fail('timeout', { queueTimed: true });
    expect(walk(3, [timed, timed, timed])).toEqual({ steps: ['try 1', 'try 2', 'give-up'], counted: [false, false, false] });
  });

  it('does not count a model one backend of several models lacks, and a later status failure of the request still counts', () => {
    const missing = fail('status', { status: 404, modelOnly: true });
    expect(walk(3, [missing, fail('status', { status: 500 })])).toEqual({ steps: ['try 1', 'try 2'], counted: [false, true] });
  });

  it('reads a deadline as the queue’s once the wait took more than half of it', () => {
    expect(deadlineCutByQueue(undefined, 2000)).toBe(false);
    expect(deadlineCutByQueue(5000, 120_000)).toBe(false);
    expect(deadlineCutByQueue(1000, 2000)).toBe(false);
    expect(deadlineCutByQueue(1001, 2000)).toBe(true);
    expect(deadlineCutByQueue(1999, 2000)).toBe(true);
    // No deadline: nothing was cut.
    expect(deadlineCutByQueue(1999, 0)).toBe(false);
  });

  it('backs off a revisit whatever the retry-after cap (0: no backend is waited for)', () => {
    const d = afterFailure(1, FIRST_ATTEMPT, fail('status', { status: 503 }), { attempts: 3, retryAfterCapMs: 0 }, all, 7);
    expect(d.next).toEqual({ kind: 'try', index: 1, delayMs: 100 });
    const waited = afterFailure(
      1,
      FIRST_ATTEMPT,
      fail('status', { status: 503, retryAfterMs: 10 }),
      { attempts: 3, retryAfterCapMs: 0 },
      all,
      7,
    );
    expect(waited.next).toEqual({ kind: 'give-up' });
  });

  it('backs off a revisit 100 ms doubling each round up to 1 s, jittered down to half', () => {
    expect([1, 2, 3, 4, 5, 9].map((r) => revisitBackoffMs(r, 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(revisitBackoffMs(1, 0)).toBe(50);
    expect(revisitBackoffMs(4, 0.5)).toBe(600);
  });
});
