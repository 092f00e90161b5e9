/** `weighted` and the group rotation: nginx's smooth weighted round-robin, the sequences today's router gives. */
import { describe, expect, it } from 'vitest';
import { pickWeighted, smoothPick } from '../../../../src/routing/strategies/weighted.js';
import { TargetList } from '../../../../src/routing/strategies/choose.js';
import { facts, SimTarget } from './sim.js';

const rng = { float: () => 0 };

describe('weighted', () => {
  it('interleaves 5/1/1 as nginx does', () => {
    const ts = [new SimTarget('a', 5), new SimTarget('b', 1), new SimTarget('c', 1)];
    const turn = new Float64Array(3);
    expect(Array.from({ length: 14 }, () => pickWeighted(ts, turn, facts(), rng))).toEqual([0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0]);
  });

  it('is exact over every window of sum(weights) picks: 95/5 gives exactly 5 in each 100', () => {
    const ts = [new SimTarget('a', 95), new SimTarget('b', 5)];
    const turn = new Float64Array(2);
    for (let w = 0; w < 20; w++) {
      const window = Array.from({ length: 100 }, () => pickWeighted(ts, turn, facts(), rng));
      expect(window.filter((i) => i === 1)).toHaveLength(5);
    }
  });

  it('skips ejected targets and renormalises over the rest', () => {
    const ts = [new SimTarget('a', 3), new SimTarget('b', 2), new SimTarget('c', 1)];
    const turn = new Float64Array(3);
    ts[1]!.eligible = false;
    const picks = Array.from({ length: 40 }, () => pickWeighted(ts, turn, facts(), rng));
    expect(picks.filter((i) => i === 1)).toHaveLength(0);
    expect(picks.filter((i) => i === 0)).toHaveLength(30);
  });

  it("holds the split at the largest weight a profile takes (2^31 − 1): sums stay exact, far from Infinity's NaN", () => {
    const max = 2 ** 31 - 1;
    const ts = Array.from({ length: 1000 }, (_, i) => new SimTarget(`t${i}`, max));
    const turn = new Float64Array(ts.length);
    const picks = Array.from({ length: 3000 }, () => pickWeighted(ts, turn, facts(), rng));
    for (let i = 0; i < ts.length; i++) expect(picks.filter((p) => p === i)).toHaveLength(3);
    const groups = new Float64Array(2);
    expect(Array.from({ length: 4 }, () => smoothPick(groups, [max * 1000, max * 1000]))).toEqual([0, 1, 0, 1]);
  });

  it('smoothPick reads weights at each call and answers -1 when all are 0', () => {
    const turn = new Float64Array(2);
    expect(smoothPick(turn, [0, 0])).toBe(-1);
    expect(Array.from({ length: 4 }, () => smoothPick(turn, [1, 1]))).toEqual([0, 1, 0, 1]);
  });
});

describe('target lists', () => {
  it('group targets by equal weight, in order of first appearance, weight 0 left out', () => {
    const list = new TargetList([
      new SimTarget('a', 10),
      new SimTarget('canary', 1),
      new SimTarget('b', 10),
      new SimTarget('off', 0),
      new SimTarget('c', 10),
    ]);
    expect(list.members).toEqual([[0, 2, 4], [1]]);
  });
});
