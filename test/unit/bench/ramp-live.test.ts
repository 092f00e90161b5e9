/** The ramp's saturation point, and the live view's figures. */
import { describe, expect, it } from 'vitest';
import { LiveFeed, liveLine } from '../../../src/bench/live.js';
import { saturation } from '../../../src/bench/ramp.js';

describe('saturation', () => {
  it.each([
    ['still rising', [4, 8, 16], { index: 2, saturated: false }],
    ['flat after the second step', [4, 8, 8.5], { index: 1, saturated: true }],
    ['falling', [4, 7.9, 6], { index: 1, saturated: true }],
    ['one step', [4], { index: 0, saturated: false }],
  ])('%s', (_name, goodputs, want) => expect(saturation(goodputs.map((goodput, i) => ({ rate: 4 * 2 ** i, goodput })))).toEqual(want));
});

describe('LiveFeed', () => {
  it('shows requests/s, goodput, failures by code and p50/p99 for the running scenario', () => {
    const live = new LiveFeed();
    live.begin('stream', 3000);
    for (let i = 1; i <= 100; i++) live.record({ ok: true, status: 200, e2el: i, ttft: i / 2 });
    for (let i = 0; i < 3; i++) live.record({ ok: false, status: 429, code: 'rate_limit_exceeded', e2el: 1 });
    const s = live.snapshot();
    expect(s).toMatchObject({ scenario: 'stream', totalMs: 3000, requests: 103, ok: 100, failures: [['429 rate_limit_exceeded', 3]] });
    expect(s.p50).toBeCloseTo(50.5, 5);
    expect(s.goodput).toBeGreaterThan(0);
    expect(liveLine(s)).toMatch(
      /^stream \d+\.\ds\/3\.0s .* goodput .* p50 51ms p99 99ms\s+TTFT p50 25ms\s+103 sent\s+429 rate_limit_exceeded ×3$/,
    );
  });

  it('shows – rather than NaN when nothing completed yet', () => {
    const live = new LiveFeed();
    live.begin('long');
    expect(liveLine(live.snapshot())).toMatch(/p50 – p99 –/);
  });
});
