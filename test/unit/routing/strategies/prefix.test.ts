/** The `prefix` strategy: documented scores, exact ties, the bounded-load rule per decision, and conversations that stick. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/core/hash.js';
import { chatPromptBlocks } from '../../../../src/routing/prompt-blocks.js';
import { PrefixIndex } from '../../../../src/routing/prefix-index.js';
import { PREFIX_POLICY, pickPrefix, withinBound } from '../../../../src/routing/strategies/prefix.js';
import { pickWeighted } from '../../../../src/routing/strategies/weighted.js';
import { facts, SimTarget, simulate, targets } from './sim.js';

const blocks = Array.from({ length: 10 }, (_, i) => 1000 + i);
const state = (index = new PrefixIndex()) => ({ index, policy: PREFIX_POLICY });
/** Scores alone: a bound no replica can reach. */
const unbounded = (index: PrefixIndex) => ({ index, policy: { ...PREFIX_POLICY, loadFactor: 1e9 } });
const first = { float: () => 0 };

describe('prefix scores (3 × prefix match + 2 × relative load)', () => {
  const cases: [string, { matched: number; inflight: number }[], number][] = [
    [
      'a full match beats an idle replica with none',
      [
        { matched: 10, inflight: 3 },
        { matched: 0, inflight: 0 },
      ],
      0,
    ],
    // 3 × 0.2 + 2 × 1/4 = 1.1 < 0 + 2 × 1 = 2
    [
      'a small match loses to a much less loaded replica',
      [
        { matched: 2, inflight: 3 },
        { matched: 0, inflight: 0 },
      ],
      1,
    ],
    // 3 × 0.8 + 2 × 3/4 = 3.9 > 0 + 2 = 2
    [
      'a large match wins over a slightly less loaded replica',
      [
        { matched: 8, inflight: 3 },
        { matched: 0, inflight: 2 },
      ],
      0,
    ],
    [
      'equal matches: the less loaded',
      [
        { matched: 5, inflight: 4 },
        { matched: 5, inflight: 1 },
      ],
      1,
    ],
    [
      'the longest match among several',
      [
        { matched: 3, inflight: 1 },
        { matched: 9, inflight: 1 },
        { matched: 6, inflight: 1 },
      ],
      1,
    ],
  ];
  it.each(cases)('%s', (_name, specs, want) => {
    const index = new PrefixIndex();
    const cands = specs.map((s, i) => {
      index.record(`t${i}`, blocks.slice(0, s.matched));
      return Object.assign(new SimTarget(`t${i}`), { inflight: s.inflight });
    });
    expect(pickPrefix(cands, unbounded(index), facts({ blocks }), first)).toBe(want);
  });

  it('a prompt shorter than one block: load alone decides', () => {
    const cands = [Object.assign(new SimTarget('a'), { inflight: 2 }), Object.assign(new SimTarget('b'), { inflight: 1 })];
    expect(pickPrefix(cands, unbounded(new PrefixIndex()), facts({ blocks: [] }), first)).toBe(1);
  });

  it('breaks exact ties with the injected rng, so every tied replica can win', () => {
    const cands = targets(4);
    const rng = new Rng(5);
    const seen = new Set(Array.from({ length: 200 }, () => pickPrefix(cands, state(), facts({ blocks }), rng)));
    expect(seen).toEqual(new Set([0, 1, 2, 3]));
  });
});

describe('bounded load', () => {
  it('admits a replica only while in-flight + 1 ≤ ⌈1.25 × (total + 1) × weight share⌉', () => {
    expect(withinBound(Object.assign(new SimTarget('a'), { inflight: 0 }), 0, 4, 1.25)).toBe(true);
    // 4 replicas, 12 in flight: cap = ⌈1.25 × 13 / 4⌉ = 5.
    expect(withinBound(Object.assign(new SimTarget('a'), { inflight: 4 }), 12, 4, 1.25)).toBe(true);
    expect(withinBound(Object.assign(new SimTarget('a'), { inflight: 5 }), 12, 4, 1.25)).toBe(false);
    // Weight 2 of 5: cap = ⌈1.25 × 13 × 2 / 5⌉ = 7.
    expect(withinBound(Object.assign(new SimTarget('a', 2), { inflight: 6 }), 12, 5, 1.25)).toBe(true);
    expect(withinBound(Object.assign(new SimTarget('a', 2), { inflight: 7 }), 12, 5, 1.25)).toBe(false);
  });

  it('holds at every decision under one hot prefix, even though one replica has it all', () => {
    const ts = targets(4);
    const index = new PrefixIndex();
    index.record('t0', blocks);
    const picks = simulate(ts, (f, rng) => pickPrefix(ts, state(index), f, rng), {
      rate: 0.2,
      durationMs: 20_000,
      holdMs: (_t, rng) => 20 + rng.float() * 300,
      factsAt: (now) => facts({ now, blocks }),
    });
    let hot = 0;
    for (const p of picks) {
      const total = p.inflight.reduce((a, b) => a + b, 0);
      // After the pick: the chosen replica's in-flight respected the cap computed before it.
      expect(p.inflight[p.target]!).toBeLessThanOrEqual(Math.ceil((1.25 * total) / 4));
      if (p.target === 0) hot++;
    }
    // The hot replica still takes the most it may, not a quarter.
    expect(hot / picks.length).toBeGreaterThan(0.27);
  });
});

describe('conversations stick to the replica that holds them', () => {
  /**
   * 200 conversations × 6 turns sharing a 4 KB system prompt, over 4 replicas: the share of prompt blocks
   * already on the replica chosen (an index of what was really sent stands in for the mocks' caches).
   */
  function conversations(choose: (ts: SimTarget[], blocks: number[], rng: Rng) => number): number {
    const ts = targets(4);
    const sentTo = new PrefixIndex(); // what each replica really holds (the mocks' view), to score the choice
    const system = 'You are a helpful assistant. '.repeat(140);
    const rng = new Rng(7);
    let reused = 0;
    let total = 0;
    // Conversations interleave at random, each turn after the one before it (as concurrent users do).
    const next = new Array<number>(200).fill(0);
    const open = Array.from({ length: 200 }, (_, c) => c);
    const order = new Rng(11);
    while (open.length) {
      const slot = Math.floor(order.float() * open.length);
      const c = open[slot]!;
      const turn = next[c]!++;
      if (next[c] === 6) open.splice(slot, 1);
      const messages = [{ role: 'system', content: system }];
      for (let t = 0; t <= turn; t++) {
        messages.push({ role: 'user', content: `conversation ${c} question ${t} `.repeat(6) });
        if (t < turn) messages.push({ role: 'assistant', content: `answer ${t} to conversation ${c} `.repeat(6) });
      }
      const b = chatPromptBlocks('m', messages);
      const i = choose(ts, b, rng);
      reused += sentTo.matchLength(ts[i]!.id, b);
      total += b.length;
      sentTo.record(ts[i]!.id, b);
    }
    return reused / total;
  }

  it('prefix reuses far more of each prompt than weighted round-robin', () => {
    const index = new PrefixIndex();
    const prefix = conversations((ts, b, rng) => {
      const i = pickPrefix(ts, state(index), facts({ blocks: b }), rng);
      index.record(ts[i]!.id, b);
      return i;
    });
    const turn = new Float64Array(4);
    const weighted = conversations((ts, b, rng) => pickWeighted(ts, turn, facts({ blocks: b }), rng));
    expect(prefix).toBeGreaterThan(0.9);
    expect(1 - prefix).toBeLessThan((1 - weighted) / 2);
  });
});
