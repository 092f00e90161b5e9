/** The `cost` strategy and escalation rules: cheapest fitting target, windows, unpriced targets, ties. */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../../src/profile/load.js';
import { escalationFor } from '../../../../src/routing/escalation.js';
import { expectedCost, pickCost } from '../../../../src/routing/strategies/cost.js';
import { facts, SimTarget } from './sim.js';

const first = { float: () => 0 };
const cheap = () => new SimTarget('cheap', 1, { input: 0.1, output: 0.4 }, 8192);
const mid = () => new SimTarget('mid', 1, { input: 0.5, output: 1.5 }, 32_768);
const dear = () => new SimTarget('dear', 1, { input: 3, output: 15 }, 200_000);
const unpriced = () => new SimTarget('unpriced', 1, undefined, 1_000_000);

describe('cost', () => {
  it('prices a request at (prompt × input + max tokens × output) / 1e6 USD', () => {
    expect(expectedCost(dear(), facts({ promptTokens: 1000, maxTokens: 500 }))).toBeCloseTo((1000 * 3 + 500 * 15) / 1e6);
    expect(expectedCost(unpriced(), facts())).toBe(Infinity);
  });

  const cases: [string, SimTarget[], { promptTokens: number; maxTokens: number }, string][] = [
    ['the cheapest that fits', [dear(), mid(), cheap()], { promptTokens: 1000, maxTokens: 500 }, 'cheap'],
    ['a prompt over the cheap window goes to the next cheapest', [dear(), mid(), cheap()], { promptTokens: 9000, maxTokens: 500 }, 'mid'],
    ['prompt + completion must fit, not the prompt alone', [dear(), cheap()], { promptTokens: 8000, maxTokens: 500 }, 'dear'],
    ['unpriced only when no priced target fits', [unpriced(), mid()], { promptTokens: 1000, maxTokens: 10 }, 'mid'],
    ['unpriced when it alone fits', [unpriced(), mid()], { promptTokens: 100_000, maxTokens: 10 }, 'unpriced'],
    [
      'nothing fits: the widest window (the backend answers its own context error)',
      [cheap(), mid()],
      { promptTokens: 1e6, maxTokens: 10 },
      'mid',
    ],
  ];
  it.each(cases)('%s', (_name, cands, f, want) => {
    expect(cands[pickCost(cands, undefined, facts(f), first)]!.id).toBe(want);
  });

  it('depends on the request mix: a cheaper input price can lose to a cheaper output price on long answers', () => {
    const inputCheap = new SimTarget('in', 1, { input: 0.1, output: 2 });
    const outputCheap = new SimTarget('out', 1, { input: 0.5, output: 0.5 });
    const cands = [inputCheap, outputCheap];
    expect(cands[pickCost(cands, undefined, facts({ promptTokens: 10_000, maxTokens: 10 }), first)]!.id).toBe('in');
    expect(cands[pickCost(cands, undefined, facts({ promptTokens: 10, maxTokens: 10_000 }), first)]!.id).toBe('out');
  });

  it('breaks equal prices by load, then by the rng', () => {
    const a = Object.assign(cheap(), { id: 'a', inflight: 3 });
    const b = Object.assign(cheap(), { id: 'b', inflight: 1 });
    expect(pickCost([a, b], undefined, facts(), first)).toBe(1);
    b.inflight = 3;
    const seen = new Set([0, 0.3, 0.6, 0.9].map((x) => pickCost([a, b], undefined, facts(), { float: () => x })));
    expect(seen).toEqual(new Set([0, 1]));
  });

  it('never chooses an ejected target, however cheap', () => {
    const c = Object.assign(cheap(), { eligible: false });
    expect(pickCost([c, dear()], undefined, facts(), first)).toBe(1);
  });
});

describe('escalation', () => {
  const profile = (escalate: string) =>
    parseProfile(
      `version: 1
backends: { a: { url: "http://127.0.0.1:1" } }
models:
  small: { targets: [{ backend: a }], escalate: ${escalate} }
  large: { targets: [{ backend: a }] }
  huge: { targets: [{ backend: a }] }
`,
      'p.yaml',
    );

  it('parses the bounds once, at the edge', () => {
    const r = profile('[{ when: { promptTokens: ">2000" }, model: large }]');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.profile.models.small!.escalate).toEqual([{ when: { promptTokens: { op: '>', tokens: 2000 } }, model: 'large' }]);
  });

  const rules = [
    { when: { promptTokens: { op: '>' as const, tokens: 8000 } }, model: 'huge' },
    { when: { promptTokens: { op: '>=' as const, tokens: 2000 } }, model: 'large' },
  ];
  const cases: [number, string | undefined][] = [
    [100, undefined],
    [1999, undefined],
    [2000, 'large'],
    [8000, 'large'],
    [8001, 'huge'],
  ];
  it.each(cases)('%i prompt tokens → %s (first match wins)', (tokens, want) => {
    expect(escalationFor(rules, tokens)).toBe(want);
  });

  it('reads < and <= too, and nothing without rules', () => {
    expect(escalationFor([{ when: { promptTokens: { op: '<', tokens: 10 } }, model: 'x' }], 9)).toBe('x');
    expect(escalationFor([{ when: { promptTokens: { op: '<=', tokens: 10 } }, model: 'x' }], 10)).toBe('x');
    expect(escalationFor([{ when: { promptTokens: { op: '<=', tokens: 10 } }, model: 'x' }], 11)).toBeUndefined();
    expect(escalationFor(undefined, 5)).toBeUndefined();
  });
});
