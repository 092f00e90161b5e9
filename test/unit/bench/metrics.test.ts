/** The field's metrics: distributions as numpy computes them, vLLM's TPOT, goodput under an SLO, never NaN. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldMetrics, metricFigures, metricLines, tallyRefusals } from '../../../src/bench/metrics.js';
import type { RequestRecord } from '../../../src/bench/record.js';
import { meetsSlo, parseSlo, tpotOf } from '../../../src/bench/slo.js';
import { distribution, percentile, thin } from '../../../src/bench/stats-math.js';

const rec = (x: Partial<RequestRecord>): RequestRecord => ({
  sentAt: 0,
  e2el: 100,
  status: 200,
  ok: true,
  outputTokens: 10,
  inputTokens: 5,
  ...x,
});

describe('distributions', () => {
  it('match numpy (linear interpolation) on 1..10', () => {
    const d = distribution([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])!;
    expect(d).toMatchObject({ count: 10, mean: 5.5, median: 5.5, p90: 9.1, max: 10 });
    expect(d.p95).toBeCloseTo(9.55, 10);
    expect(d.p99).toBeCloseTo(9.91, 10);
    expect(d.std).toBeCloseTo(2.8722813, 6);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('are undefined without samples (callers say "no samples", never NaN)', () => {
    expect(distribution([])).toBeUndefined();
    expect(distribution([Number.NaN])).toBeUndefined();
  });

  it('thinning keeps the extremes and the order', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => 10_000 - i);
    const t = thin(xs, 100);
    expect(t).toHaveLength(100);
    expect(t[0]).toBe(1);
    expect(t.at(-1)).toBe(10_000);
  });
});

describe("vLLM's TPOT and the SLO", () => {
  it('TPOT excludes the first token: (e2el - ttft) / (tokens - 1)', () => {
    expect(tpotOf({ e2el: 1100, ttft: 100, outputTokens: 11 })).toBe(100);
    expect(tpotOf({ e2el: 100, ttft: 100, outputTokens: 1 })).toBeUndefined();
    expect(tpotOf({ e2el: 100, outputTokens: 5 })).toBeUndefined();
  });

  it.each([
    ['ttft:200ms,tpot:50ms', { ttft: 200, tpot: 50 }],
    ['e2el:2s', { e2el: 2000 }],
    ['ttft=150', { ttft: 150 }],
  ])('parses %s', (spec, want) => expect(parseSlo(spec)).toEqual({ ok: true, value: want }));

  it.each(['latency:1s', 'ttft:', 'ttft:-1ms', 'ttft:fast', ''])('refuses %s', (spec) => expect(parseSlo(spec).ok).toBe(false));

  it.each([
    ['meets both', rec({ ttft: 100, e2el: 1000, outputTokens: 20 }), true],
    ['TTFT too slow', rec({ ttft: 300, e2el: 1000, outputTokens: 20 }), false],
    ['TPOT too slow', rec({ ttft: 100, e2el: 5000, outputTokens: 20 }), false],
    ['a failure is never good', rec({ ok: false, status: 429, ttft: 1 }), false],
    ['non-streamed: its TTFT is its E2EL', rec({ e2el: 150 }), true],
    ['non-streamed and slow', rec({ e2el: 250 }), false],
  ])('%s', (_name, r, want) => expect(meetsSlo(r, { ttft: 200, tpot: 50 })).toBe(want));
});

describe('fieldMetrics', () => {
  it('counts only complete 2xx answers as throughput; refusals by status, code and limit', () => {
    const records = [
      rec({ ttft: 10, itl: [1, 2], e2el: 30, outputTokens: 3 }),
      rec({ ok: false, status: 429, code: 'rate_limit_exceeded', errorType: 'tokens' }),
      rec({ ok: false, status: 429, code: 'rate_limit_exceeded', errorType: 'tokens' }),
      rec({ ok: false, status: 403, code: 'model_not_allowed' }),
      rec({ ok: false, status: 200, code: 'incomplete_stream' }),
    ];
    const m = fieldMetrics(records, 2000, { ttft: 20 }, true);
    expect(m).toMatchObject({ completed: 1, failed: 4, request_throughput: 0.5, output_throughput: 1.5, request_goodput: 0.5 });
    expect(m.ttft?.median).toBe(10);
    expect(m.itl?.count).toBe(2);
    expect(tallyRefusals(records)).toEqual([
      { status: 429, code: 'rate_limit_exceeded', type: 'tokens', count: 2 },
      { status: 403, code: 'model_not_allowed', count: 1 },
      { status: 200, code: 'incomplete_stream', count: 1 },
    ]);
    expect(metricLines('x', m, tallyRefusals(records))[0]).toMatch(/429 rate_limit_exceeded \(tokens\) ×2/);
  });

  it('never produces NaN, in figures or lines, whatever the records', () => {
    const arbRecord = fc.record({
      sentAt: fc.nat(),
      e2el: fc.double({ min: 0, max: 1e6, noNaN: true }),
      status: fc.constantFrom(0, 200, 400, 429, 502),
      ok: fc.boolean(),
      code: fc.option(fc.string(), { nil: undefined }),
      ttft: fc.option(fc.double({ min: 0, max: 1e5, noNaN: true }), { nil: undefined }),
      itl: fc.option(fc.array(fc.double({ min: 0, max: 1e4, noNaN: true })), { nil: undefined }),
      outputTokens: fc.nat(),
      inputTokens: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 30 }), fc.nat({ max: 100_000 }), fc.boolean(), (records, ms, streamed) => {
        const m = fieldMetrics(records as RequestRecord[], ms, { ttft: 100 }, streamed);
        for (const v of Object.values(metricFigures('s', m))) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
        expect(metricLines('s', m, tallyRefusals(records as RequestRecord[])).join('\n')).not.toMatch(/NaN|undefined/);
      }),
    );
  });

  it('says why a metric has no samples', () => {
    const m = fieldMetrics([rec({})], 1000, undefined, false);
    expect(m.ttft).toBeNull();
    expect(m.notes.ttft).toBe('no samples: answers were not streamed');
    expect(fieldMetrics([rec({ ok: false, status: 429 })], 1000, undefined, true).notes.e2el).toMatch(/none of 1 requests completed/);
  });
});
