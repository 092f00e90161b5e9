/** The peak-EWMA TTFT tracker and the `latency` strategy, including the slow-backend acceptance, simulated. */
import { describe, expect, it } from 'vitest';
import {
  EMBEDDING_HEAD_MAX_BYTES,
  firstTokenAtHead,
  firstTokenMeasures,
  PROMPT_MEASURE_MAX_BYTES,
} from '../../../../src/routing/feedback.js';
import { PeakEwma, TTFT_DECAY_MS } from '../../../../src/routing/peak-ewma.js';
import { latencyCost, pickLatency } from '../../../../src/routing/strategies/latency.js';
import { facts, SimTarget, simulate, targets } from './sim.js';

describe('the peak EWMA', () => {
  it('jumps to a peak at once', () => {
    const e = new PeakEwma();
    e.observe('a', 100, 0);
    e.observe('a', 500, 10);
    expect(e.estimate('a', 10)).toBe(500);
  });

  it('decays toward zero with no news: e^(−Δt/τ)', () => {
    const e = new PeakEwma(5000);
    e.observe('a', 500, 0);
    expect(e.estimate('a', 5000)).toBeCloseTo(500 / Math.E);
    expect(e.estimate('a', 5000 * Math.log(5))).toBeCloseTo(100);
  });

  it('blends a lower observation in with weight 1 − e^(−Δt/τ)', () => {
    const e = new PeakEwma(5000);
    e.observe('a', 500, 0);
    e.observe('a', 100, 5000);
    const w = Math.exp(-1);
    expect(e.estimate('a', 5000)).toBeCloseTo(500 * w * w + 100 * (1 - w));
  });

  it('takes a non-streamed head as a bound once a first token was observed: it lowers the estimate, never raises it', () => {
    const e = new PeakEwma(5000);
    e.observe('a', 100, 0);
    e.answerHead('a', 2000, 10);
    expect(e.estimate('a', 10)).toBeLessThan(100);
    e.answerHead('a', 20, 5000);
    const w = Math.exp(-1);
    expect(e.estimate('a', 5000)).toBeCloseTo(100 * w * w + 20 * (1 - w));
  });

  it("until then the heads are the replica's estimate: a plain EWMA, a long answer moving it by its share of the time", () => {
    const e = new PeakEwma(5000);
    // Before: no estimate at all — a replica answering only non-streamed generations cost as a new one.
    e.answerHead('a', 40, 0);
    expect(e.estimate('a', 0)).toBe(40);
    for (let t = 100; t <= 1000; t += 100) e.answerHead('a', 40, t);
    e.answerHead('a', 2000, 1100);
    const w = Math.exp(-100 / 5000);
    expect(e.estimate('a', 1100)).toBeCloseTo(40 * w + 2000 * (1 - w));
    expect(e.estimate('a', 1100)).toBeLessThan(100);
    // A failure's penalty above it is the estimate, decaying as any.
    e.penalise('a', 500, 1100);
    expect(e.estimate('a', 1100)).toBe(500);
    expect(e.estimate('a', 1100 + 5000 * Math.log(10))).toBeCloseTo(50);
    // A first token makes the heads bounds again.
    const f = new PeakEwma(5000);
    f.answerHead('b', 2000, 0);
    f.observe('b', 50, 0);
    expect(f.estimate('b', 0)).toBe(50);
  });

  it("reads a head as the first token's time for a stream, a query's embedding, a token count or a short answer only", () => {
    const chat = { endpoint: 'chat', bytes: 100, stream: false, choices: 1 };
    expect(firstTokenAtHead({ ...chat, stream: true, lengthBound: undefined })).toBe(true);
    const embedding = { endpoint: 'embeddings', stream: false, lengthBound: undefined, choices: 1 };
    expect(firstTokenAtHead({ ...embedding, bytes: 200 })).toBe(true);
    expect(firstTokenAtHead({ ...embedding, bytes: EMBEDDING_HEAD_MAX_BYTES })).toBe(true);
    // A batch: its head comes after its every input.
    expect(firstTokenAtHead({ ...embedding, bytes: EMBEDDING_HEAD_MAX_BYTES + 1 })).toBe(false);
    expect(firstTokenAtHead({ endpoint: 'count_tokens', bytes: 1_000_000, stream: false, lengthBound: undefined, choices: 1 })).toBe(true);
    expect(firstTokenAtHead({ ...chat, lengthBound: 1 })).toBe(true);
    expect(firstTokenAtHead({ ...chat, lengthBound: 400 })).toBe(false);
    expect(firstTokenAtHead({ ...chat, lengthBound: 1, choices: 50 })).toBe(false);
    // No max_tokens: as long as the backend likes.
    expect(firstTokenAtHead({ ...chat, lengthBound: undefined })).toBe(false);
  });

  it("reads a first token as its replica's time only after a prompt of at most 16 KiB: a longer one's prefill is the client's", () => {
    const stream = { endpoint: 'chat', stream: true, lengthBound: undefined, choices: 1 };
    expect(firstTokenMeasures({ ...stream, bytes: 2000 })).toBe(true);
    expect(firstTokenMeasures({ ...stream, bytes: PROMPT_MEASURE_MAX_BYTES })).toBe(true);
    expect(firstTokenMeasures({ ...stream, bytes: PROMPT_MEASURE_MAX_BYTES + 1 })).toBe(false);
    // What firstTokenAtHead refuses stays refused.
    expect(firstTokenMeasures({ ...stream, stream: false, bytes: 100 })).toBe(false);
  });

  it('ignores nonsense observations and knows nothing of unseen targets', () => {
    const e = new PeakEwma();
    e.observe('a', Number.NaN, 0);
    e.observe('a', -5, 0);
    e.observe('a', Number.POSITIVE_INFINITY, 0);
    expect(e.estimate('a', 0)).toBe(0);
    expect(e.size).toBe(0);
  });

  it('holds at most maxTargets records', () => {
    const e = new PeakEwma(5000, 10);
    for (let i = 0; i < 100; i++) e.observe(`t${i}`, 10, i);
    expect(e.size).toBe(10);
    expect(e.estimate('t0', 100)).toBe(0);
  });
});

describe('latency cost', () => {
  const e = new PeakEwma();
  e.observe('fast', 100, 0);
  e.observe('slow', 500, 0);
  const cases: [string, SimTarget, number][] = [
    ['measured, idle: the estimate', Object.assign(new SimTarget('fast'), { inflight: 0 }), 100],
    ['measured, busy: estimate × (in flight + 1)', Object.assign(new SimTarget('fast'), { inflight: 3 }), 400],
    ['per unit of weight', Object.assign(new SimTarget('fast', 2), { inflight: 3 }), 200],
    ['unmeasured and idle: 0, so it is probed', new SimTarget('new'), 0],
  ];
  it.each(cases)('%s', (_name, c, want) => {
    expect(latencyCost(c, e, facts())).toBeCloseTo(want);
  });

  it('a new replica beside a measured busy peer is probed, not flooded: one request in flight makes it the dearer', () => {
    const e8 = new PeakEwma();
    e8.observe('peer', 8000, 0);
    const peer = Object.assign(new SimTarget('peer'), { inflight: 3 });
    const fresh = Object.assign(new SimTarget('new'), { inflight: 1 });
    for (let i = 0; i < 10; i++) expect(pickLatency([peer, fresh], e8, facts(), { float: () => i / 10 })).toBe(0);
    // Its first answer, non-streamed, in 2 s: its estimate now, it takes requests while it is the cheaper (32 s).
    e8.answerHead('new', 2000, 0);
    expect(latencyCost(fresh, e8, facts())).toBe(4000);
    expect(latencyCost(Object.assign(new SimTarget('new'), { inflight: 16 }), e8, facts())).toBeGreaterThan(latencyCost(peer, e8, facts()));
  });

  it('unmeasured with requests in flight: above any measured replica', () => {
    const c = Object.assign(new SimTarget('new'), { inflight: 1 });
    expect(latencyCost(c, e, facts())).toBeGreaterThan(latencyCost(Object.assign(new SimTarget('slow'), { inflight: 50 }), e, facts()));
  });
});

describe('latency routing, simulated', () => {
  /**
   * Four replicas at 100 ms TTFT, 10 requests/s each; replica 0 becomes 5× slower from t = 20 s to t = 40 s.
   * The acceptance: within 5 s ≥ 80 % of new requests avoid it; it gets traffic back within 10 s.
   */
  function slowdownRun() {
    const ts = targets(4);
    const ttft = new PeakEwma(TTFT_DECAY_MS);
    const picks = simulate(ts, (f, rng) => pickLatency(ts, ttft, f, rng), {
      rate: 0.04,
      durationMs: 60_000,
      holdMs: (t) => t.ttftMs * 2,
      onFirstToken: (t, ms, now) => ttft.observe(t.id, ms, now),
      tick: (now) => {
        ts[0]!.ttftMs = now >= 20_000 && now < 40_000 ? 500 : 100;
      },
      seed: 9,
    });
    const shareOfSlow = (from: number, to: number) => {
      const window = picks.filter((p) => p.at >= from && p.at < to);
      return window.filter((p) => p.target === 0).length / window.length;
    };
    return { picks, shareOfSlow };
  }

  it('moves at least 80 % of new requests off a replica that became 5× slower within 5 s', () => {
    const { shareOfSlow } = slowdownRun();
    expect(shareOfSlow(10_000, 20_000)).toBeGreaterThan(0.15);
    // Requests from 5 s after the slowdown on: at most 20 % may still go to it.
    expect(shareOfSlow(25_000, 40_000)).toBeLessThan(0.2);
  });

  it('gives a recovered replica traffic back within 10 s', () => {
    const { picks, shareOfSlow } = slowdownRun();
    const back = picks.find((p) => p.at >= 40_000 && p.target === 0);
    expect(back).toBeDefined();
    expect(back!.at - 40_000).toBeLessThan(10_000);
    expect(shareOfSlow(50_000, 60_000)).toBeGreaterThan(0.15);
  });

  it('with equal replicas behaves like least-request: busy replicas lose to idle ones', () => {
    const ts = targets(2);
    const e = new PeakEwma();
    for (const t of ts) e.observe(t.id, 100, 0);
    ts[0]!.inflight = 5;
    const picks = Array.from({ length: 20 }, (_, i) => pickLatency(ts, e, facts(), { float: () => (i % 2) * 0.9 }));
    expect(new Set(picks)).toEqual(new Set([1]));
  });
});
