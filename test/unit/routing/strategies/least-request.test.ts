/** `least-request`: power of two choices on in-flight per unit of weight, with weighted draws. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/core/hash.js';
import { drawTwo } from '../../../../src/routing/strategies/candidate.js';
import { pickLeastRequest } from '../../../../src/routing/strategies/least-request.js';
import { facts, SimTarget, simulate, targets } from './sim.js';

/** An rng that returns the given numbers in turn. */
const seq = (...xs: number[]) => {
  let i = 0;
  return { float: () => xs[i++ % xs.length]! };
};

describe('least-request', () => {
  it('of the two drawn, takes the one with fewer in flight per unit of weight', () => {
    const ts = [Object.assign(new SimTarget('a'), { inflight: 4 }), Object.assign(new SimTarget('b', 2), { inflight: 6 })];
    // b: 6 / 2 = 3 < 4.
    expect(pickLeastRequest(ts, undefined, facts(), seq(0.1, 0.5))).toBe(1);
    ts[1]!.inflight = 10;
    expect(pickLeastRequest(ts, undefined, facts(), seq(0.1, 0.5))).toBe(0);
  });

  it('on a tie, takes the first drawn', () => {
    const ts = targets(2);
    expect(pickLeastRequest(ts, undefined, facts(), seq(0.9, 0))).toBe(1);
    expect(pickLeastRequest(ts, undefined, facts(), seq(0.1, 0))).toBe(0);
  });

  it('draws two distinct usable candidates, in proportion to weight', () => {
    const ts = [new SimTarget('a', 1), Object.assign(new SimTarget('off', 5), { eligible: false }), new SimTarget('b', 3)];
    const rng = new Rng(2);
    let firstIsB = 0;
    for (let i = 0; i < 4000; i++) {
      const [x, y] = drawTwo(ts, rng);
      expect(new Set([x, y])).toEqual(new Set([0, 2]));
      if (x === 2) firstIsB++;
    }
    expect(firstIsB / 4000).toBeGreaterThan(0.7);
    expect(firstIsB / 4000).toBeLessThan(0.8);
    expect(drawTwo([ts[0]!], rng)).toEqual([0, -1]);
    expect(drawTwo([ts[1]!], rng)).toEqual([-1, -1]);
  });

  it('keeps the longest queue short: with 8 replicas near saturation, the busiest stays within a few of the mean', () => {
    const ts = targets(8);
    const picks = simulate(ts, (f, rng) => pickLeastRequest(ts, undefined, f, rng), {
      rate: 0.3,
      durationMs: 20_000,
      holdMs: (_t, rng) => 50 + rng.float() * 150,
    });
    let worst = 0;
    for (const p of picks) {
      const mean = p.inflight.reduce((a, b) => a + b, 0) / 8;
      worst = Math.max(worst, Math.max(...p.inflight) - mean);
    }
    expect(worst).toBeLessThan(5);
  });
});
