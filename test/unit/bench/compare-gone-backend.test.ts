/**
 * `--compare` of a split whose stray answers stopped: a baseline in which some answers named no backend (`split.unknown`)
 * or a backend no weight expects (`split.c`), and a run of the fixed gateway where none did. Those shares are no figures
 * of the later run — a backend that answered nothing is not listed — and `--compare` read each of them (and its interval's
 * ends) as "measured before, not measured in this run": 6 regressions and exit 1, for the gateway that was fixed. A
 * backend's share is shown, never a verdict (trust 118); gone, it is none either. A verdict figure gone still fails.
 */
import { describe, expect, it } from 'vitest';
import { type BenchReport, compare, unmeasured } from '../../../src/bench/report.js';

const run = (figures: BenchReport['figures']): BenchReport => ({
  version: 1,
  env: { node: '', platform: '', cpus: 2, cpuModel: '', target: 't', model: 'm', startedAt: 'x', durationMs: 1, connections: 1 },
  scenarios: { split: { figures, lines: [] } },
  figures,
  assertions: [],
});

describe('--compare when a stray backend stops answering', () => {
  it('reads no regression from the shares no longer listed', () => {
    const before = run({
      'split.requests': 200,
      'split.a': 90,
      'split.b': 5,
      'split.unknown': 3,
      'split.unknown.ciLow': 1,
      'split.unknown.ciHigh': 6,
      'split.c': 2,
      'split.c.ciLow': 0.5,
      'split.c.ciHigh': 5,
      'split.p': 0,
    });
    const after = run({ 'split.requests': 200, 'split.a': 95, 'split.b': 5, 'split.p': 0.6 });
    const c = compare(before, after);
    expect(unmeasured(before, after)).toEqual([]);
    expect(c.regressions).toBe(0);
  });

  it('still fails a verdict the run no longer measured', () => {
    const c = compare(run({ 'split.requests': 200, 'split.p': 0.6 }), run({ 'split.requests': 200 }));
    expect(c.regressions).toBe(1);
  });
});
