/**
 * `split.p` is the chi-square p-value of the realized split against the weights: for a gateway that splits right it is
 * uniform between 0 and 1 from run to run. `--compare` read it as bigger-is-better with a 10 % threshold, so two runs
 * of the same gateway failed the comparison about half the time (0.8 → 0.3: "REGRESSION"). Its verdict is whether the
 * split matches the weights at 1 % (p > 0.01, as the split line says): a regression is that verdict lost.
 */
import { describe, expect, it } from 'vitest';
import { type BenchReport, compare } from '../../../src/bench/report.js';

const run = (p: number): BenchReport => ({
  version: 1,
  env: { node: '', platform: '', cpus: 2, cpuModel: '', target: 't', model: 'm', startedAt: 'x', durationMs: 1, connections: 1 },
  scenarios: { split: { figures: { 'split.p': p }, lines: [] } },
  figures: { 'split.p': p },
  assertions: [],
});

describe('--compare of split.p', () => {
  it.each([
    [0.8, 0.3],
    [0.5, 0.02],
    [0.005, 0.001],
    [0.001, 0.6],
  ])('is no regression while the verdict holds or improves (%d → %d)', (before, after) => {
    expect(compare(run(before), run(after)).regressions).toBe(0);
  });

  it('is one when the split stops matching the weights', () => {
    const c = compare(run(0.4), run(0.004));
    expect(c.regressions).toBe(1);
    expect(c.lines.find((l) => l.includes('split.p'))).toMatch(/REGRESSION/);
  });
});
