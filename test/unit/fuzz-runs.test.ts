import { describe, expect, it } from 'vitest';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

describe('how long a fuzz property runs', () => {
  it('the suite’s count without FUZZ_RUNS, FUZZ_RUNS (or a share of it) with it; the timeout scaled, with a floor', () => {
    // An empty FUZZ_RUNS is none. (`undefined` here would be the default, process.env.FUZZ_RUNS: under `npm run fuzz`
    // this file is one of the fuzz files, and that case read 200,000.)
    expect(fuzzRuns(4000, {}, '')).toEqual({ runs: 4000, timeout: 60_000 });
    expect(fuzzRuns(4000, {}, '200000')).toEqual({ runs: 200_000, timeout: 400_000 });
    expect(fuzzRuns(40, { share: 0.1, msPerCase: 30, floorMs: 120_000 }, '200000')).toEqual({ runs: 20_000, timeout: 600_000 });
    expect(fuzzRuns(40, { share: 0.1 }, '3')).toEqual({ runs: 1, timeout: 60_000 });
  });

  it('refuses a FUZZ_RUNS that is not a whole number of cases, saying what it got', () => {
    for (const bad of ['abc', '0', '-5', '1.5', '1e400', ' ']) {
      expect(() => fuzzRuns(10, {}, bad)).toThrow(`FUZZ_RUNS must be a whole number of cases ≥ 1, not ${JSON.stringify(bad)}`);
    }
  });
});
