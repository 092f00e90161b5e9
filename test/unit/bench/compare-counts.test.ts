/**
 * `--compare` flags a figure as a regression when it moved the wrong way by over 10 %. Counts and settings have no wrong
 * way: a closed-loop run that got 20 % more requests through in the same --duration (`throughput.requests`,
 * `split.requests`) failed the comparison as a regression, and so did a backend's share moving by noise (10 % → 12 % of a
 * 90/10 split, `split.b`) — exit 1 in CI for a faster target. They are shown, never counted; the verdicts on them are
 * their scenario's own figures (rps, split.p, accounting.disagreement, ratelimit.ratio).
 */
import { describe, expect, it } from 'vitest';
import { type BenchReport, compare } from '../../../src/bench/report.js';

const run = (figures: BenchReport['figures']): BenchReport => ({
  version: 1,
  env: { node: '', platform: '', cpus: 2, cpuModel: '', target: 't', model: 'm', startedAt: 'x', durationMs: 1, connections: 1 },
  scenarios: Object.fromEntries(
    ['throughput', 'split', 'long', 'accounting', 'ratelimit', 'ramp'].map((s) => [s, { figures: {}, lines: [] }]),
  ),
  figures,
  assertions: [],
});

describe('--compare of counts and settings', () => {
  it.each([
    ['throughput.requests', 1000, 1200],
    ['split.requests', 3000, 4000],
    ['split.b', 10, 12],
    ['split.b.ciLow', 8, 10],
    ['split.a', 90, 80],
    ['long.cases', 4, 10],
    ['accounting.requested', 1000, 2000],
    ['accounting.client', 1000, 2000],
    ['ratelimit.limit', 1000, 2000],
    ['ratelimit.windowMs', 60_000, 30_000],
    ['ratelimit.admittedPerWindow', 900, 1100],
    ['ramp.steps', 3, 5],
  ])('does not read %s moving (%d → %d) as a regression', (key, before, after) => {
    const c = compare(run({ [key]: before }), run({ [key]: after }));
    expect(c.regressions).toBe(0);
    // Still shown.
    expect(c.lines.some((l) => l.includes(key))).toBe(true);
  });

  it.each([
    ['throughput.rps', 100, 80],
    ['split.p', 0.4, 0.001],
    ['split.gatewayDisagreement', 1, 5],
    ['split.stickiness', 1, 0.8],
    ['accounting.disagreement', 1, 5],
    ['ramp.saturationRate', 64, 32],
  ])('still reads %s moving the wrong way (%d → %d) as one', (key, before, after) => {
    expect(compare(run({ [key]: before }), run({ [key]: after })).regressions).toBe(1);
  });
});
