/**
 * One contract for every routing strategy, run against each: usable targets only, deterministic for a
 * seed, ties spread rather than starved, weights respected as multipliers within a group, load bounded
 * under a hot prefix — and, through chooseTarget, the canary contract: weights hold between groups.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/core/hash.js';
import type { StrategyName } from '../../../../src/profile/schema.js';
import { PeakEwma } from '../../../../src/routing/peak-ewma.js';
import { PrefixIndex } from '../../../../src/routing/prefix-index.js';
import type { Candidate, RequestFacts, Rng as RngLike } from '../../../../src/routing/strategies/candidate.js';
import { chooseTarget, createRoutingState, TargetList } from '../../../../src/routing/strategies/choose.js';
import { pickCost } from '../../../../src/routing/strategies/cost.js';
import { pickLatency } from '../../../../src/routing/strategies/latency.js';
import { pickLeastRequest } from '../../../../src/routing/strategies/least-request.js';
import { PREFIX_POLICY, pickPrefix } from '../../../../src/routing/strategies/prefix.js';
import { pickWeighted } from '../../../../src/routing/strategies/weighted.js';
import { facts, SimTarget, shares, simulate, targets } from './sim.js';

type Choose = (candidates: readonly Candidate[], f: RequestFacts, rng: RngLike) => number;

interface Subject {
  name: StrategyName;
  /** Fresh state, and a function that picks with it; `observe` feeds what the gateway would feed. */
  make(n: number): { choose: Choose; observe(c: Candidate, ttftMs: number, now: number): void; sent(c: Candidate, f: RequestFacts): void };
}

const SUBJECTS: Subject[] = [
  {
    name: 'weighted',
    make: (n) => {
      const turn = new Float64Array(n);
      return { choose: (c, f, r) => pickWeighted(c, turn, f, r), observe: () => {}, sent: () => {} };
    },
  },
  { name: 'least-request', make: () => ({ choose: (c, f, r) => pickLeastRequest(c, undefined, f, r), observe: () => {}, sent: () => {} }) },
  {
    name: 'latency',
    make: () => {
      const ttft = new PeakEwma();
      return { choose: (c, f, r) => pickLatency(c, ttft, f, r), observe: (c, ms, now) => ttft.observe(c.id, ms, now), sent: () => {} };
    },
  },
  {
    name: 'prefix',
    make: () => {
      const index = new PrefixIndex();
      return {
        choose: (c, f, r) => pickPrefix(c, { index, policy: PREFIX_POLICY }, f, r),
        observe: () => {},
        sent: (c, f) => index.record(c.id, f.blocks),
      };
    },
  },
  {
    name: 'cost',
    make: () => ({ choose: (c, f, r) => pickCost(c, undefined, f, r), observe: () => {}, sent: () => {} }),
  },
];

const PRICE = { input: 1, output: 2 };
/** Identical replicas (same price, no window) for the strategy under test. */
const replicas = (n: number, weights?: number[]) => Array.from({ length: n }, (_, i) => new SimTarget(`t${i}`, weights?.[i] ?? 1, PRICE));

/** Runs a subject in the closed-loop simulation, feeding it TTFTs and sent prefixes as a gateway would. */
function run(subject: Subject, ts: SimTarget[], opts: Partial<Parameters<typeof simulate>[2]> = {}) {
  const s = subject.make(ts.length);
  return simulate(
    ts,
    (f, rng) => {
      const i = s.choose(ts, f, rng);
      if (i >= 0) s.sent(ts[i]!, f);
      return i;
    },
    { rate: 0.2, durationMs: 20_000, onFirstToken: (t, ms, now) => s.observe(t, ms, now), ...opts },
  );
}

const HOT = [11, 22, 33, 44, 55, 66, 77, 88];

describe.each(SUBJECTS)('strategy $name', (subject) => {
  it('chooses only usable targets (healthy, weight > 0), and -1 when there is none', () => {
    const Arb = fc.array(
      fc.record({ weight: fc.constantFrom(0, 1, 2, 5), eligible: fc.boolean(), inflight: fc.nat(20), matched: fc.boolean() }),
      { minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(Arb, fc.nat(), (specs, seed) => {
        const s = subject.make(specs.length);
        const cands = specs.map((x, i) =>
          Object.assign(new SimTarget(`t${i}`, x.weight, PRICE), { eligible: x.eligible, inflight: x.inflight }),
        );
        specs.forEach((x, i) => {
          if (x.matched) s.sent(cands[i]!, facts({ blocks: HOT }));
          s.observe(cands[i]!, 50 + 10 * i, 0);
        });
        const rng = new Rng(seed);
        for (let k = 0; k < 5; k++) {
          const i = s.choose(cands, facts({ now: k, blocks: HOT }), rng);
          if (cands.some((c) => c.eligible && c.weight > 0)) {
            expect(i).toBeGreaterThanOrEqual(0);
            expect(cands[i]!.eligible && cands[i]!.weight > 0).toBe(true);
          } else expect(i).toBe(-1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic: the same state, facts and seed give the same sequence', () => {
    const seq = () => run(subject, replicas(4), { seed: 42, durationMs: 3000 }).map((p) => p.target);
    expect(seq()).toEqual(seq());
  });

  it('spreads ties: identical idle replicas share sequential traffic evenly', () => {
    const ts = replicas(4);
    const picks = run(subject, ts, { rate: 0.004, durationMs: 1_000_000, holdMs: () => 100 });
    expect(picks.length).toBeGreaterThan(3000);
    for (const share of shares(picks, 4)) expect(share).toBeGreaterThan(0.2);
  });

  it('respects weights within a group as multipliers (weights 1, 2, 3 → about 1/6, 2/6, 3/6 of requests)', () => {
    const picks = run(subject, replicas(3, [1, 2, 3]), { rate: 0.1, durationMs: 60_000 });
    const got = shares(picks, 3);
    [1 / 6, 2 / 6, 3 / 6].forEach((want, i) => {
      expect(got[i]).toBeGreaterThan(want - 0.06);
      expect(got[i]).toBeLessThan(want + 0.06);
    });
  });

  it('keeps load bounded under one hot prefix: no replica holds more than 1.25× its share of the time-averaged load', () => {
    const ts = replicas(4);
    const picks = run(subject, ts, {
      rate: 0.1,
      durationMs: 30_000,
      holdMs: (_t, rng) => 50 + rng.float() * 400,
      factsAt: (now) => facts({ now, blocks: HOT }),
    });
    const mean = [0, 1, 2, 3].map((i) => picks.reduce((s, p) => s + p.inflight[i]!, 0) / picks.length);
    const fair = mean.reduce((a, b) => a + b, 0) / 4;
    for (const m of mean) expect(m).toBeLessThanOrEqual(1.25 * fair);
  });
});

describe.each(SUBJECTS.map((s) => s.name))('the canary contract under %s', (strategy) => {
  const run100 = (list: TargetList, n: number, blocks: number[] = HOT) => {
    const state = createRoutingState();
    const rng = new Rng(3);
    const counts = new Array<number>(list.candidates.length).fill(0);
    for (let i = 0; i < n; i++) {
      const f = facts({ now: i, blocks });
      const k = chooseTarget(strategy, list, state, f, rng);
      counts[k]!++;
      state.prefix.record(list.candidates[k]!.id, f.blocks);
    }
    return counts;
  };

  it('keeps a 95/5 canary exactly 95/5 by requests, whatever the prefix', () => {
    const list = new TargetList([new SimTarget('stable', 95, PRICE), new SimTarget('canary', 5, PRICE)]);
    expect(run100(list, 2000)).toEqual([1900, 100]);
  });

  it('splits by weight between groups and chooses within the group of equal-weight replicas', () => {
    const ts = [...targets(3, 10).map((t) => Object.assign(t, { pricing: PRICE })), new SimTarget('canary', 1, PRICE)];
    const counts = run100(new TargetList(ts), 3100);
    expect(counts[3]).toBe(100);
    expect(counts[0]! + counts[1]! + counts[2]!).toBe(3000);
  });

  it('leaves ejected targets out and renormalises over the rest', () => {
    const ts = [new SimTarget('a', 2, PRICE), new SimTarget('b', 2, PRICE), new SimTarget('c', 1, PRICE)];
    ts[1]!.eligible = false;
    const counts = run100(new TargetList(ts), 300);
    expect(counts).toEqual([200, 0, 100]);
    ts[0]!.eligible = false;
    ts[2]!.eligible = false;
    expect(chooseTarget(strategy, new TargetList(ts), createRoutingState(), facts(), new Rng(1))).toBe(-1);
  });

  it('never routes to a weight-0 target', () => {
    const counts = run100(new TargetList([new SimTarget('a', 1, PRICE), new SimTarget('off', 0, PRICE)]), 50);
    expect(counts).toEqual([50, 0]);
  });
});
