/**
 * Ctrl-C (or a scenario's time budget) cuts the requests in flight (README, "Ctrl-C … stops the load: requests in
 * flight are cut and left out of the figures") — but `split`, `accounting` and `ratelimit` sent theirs without the
 * run's signal: against a target holding its answers, an interrupt waited for the request in flight to reach its
 * answer deadline (--duration and a minute) before the scenario could report, and `accounting` then counted the cut
 * request as one the client saw no tokens of.
 */
import { describe, expect, it } from 'vitest';
import { accounting } from '../../../src/bench/accounting.js';
import { ratelimit } from '../../../src/bench/ratelimit.js';
import { split } from '../../../src/bench/split.js';
import type { BenchContext, ScenarioResult } from '../../../src/bench/context.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useServer } from '../../helpers/upstream.js';

/** A target that reads each request and never answers it. */
const holding = () =>
  useServer((req) => {
    req.resume();
  });

async function interruptedAfter(ms: number, run: (ctx: BenchContext) => Promise<ScenarioResult>, over: Partial<BenchContext> = {}) {
  const url = await holding();
  const ac = new AbortController();
  // The answer deadline is 20 s away: an interrupt that waits for it is seen.
  const ctx = benchContext({ url, mocks: {} }, { durationMs: 1000, drainMs: 19_000, connections: 1, signal: ac.signal, ...over });
  const t0 = performance.now();
  const pending = run(ctx);
  setTimeout(() => ac.abort(), ms);
  const r = await pending;
  return { r, ms: performance.now() - t0 };
}

describe('an interrupt cuts the request in flight', () => {
  it('in split', async () => {
    const { ms, r } = await interruptedAfter(200, split, { expect: { a: 50, b: 50 } });
    expect(ms).toBeLessThan(5000);
    expect(r.figures['split.requests']).toBe(0);
  }, 30_000);

  it('in accounting, and the cut request is not counted as sent', async () => {
    const { ms, r } = await interruptedAfter(200, accounting);
    expect(ms).toBeLessThan(5000);
    expect(r.figures['accounting.requested']).toBe(0);
    expect(r.figures['accounting.disagreement']).toBeNull();
  }, 30_000);

  it('in ratelimit', async () => {
    const profile = { tenants: { t: { keys: ['sk-l'], limits: { tpm: 4000 } } }, limits: { rateWindow: 60_000 } } as never;
    const { ms } = await interruptedAfter(200, ratelimit, { profile, limitedKey: 'sk-l' });
    expect(ms).toBeLessThan(5000);
  }, 30_000);
});
