/**
 * The inter-token gaps a load keeps are bounded over the run, not only per stream: a target answering each stream in
 * thousands of tiny events had every record keep all its gaps (up to 100,000 a stream) for the whole run, and the
 * metrics copy and sort them all. Past the bound the run keeps a systematic sample, every gap equally likely kept.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../../src/bench/driver.js';
import { ItlBudget } from '../../../src/bench/itl-budget.js';
import { fieldMetrics } from '../../../src/bench/metrics.js';
import type { RequestRecord } from '../../../src/bench/record.js';
import { prepared } from '../../../src/bench/workload.js';
import { useServer } from '../../helpers/upstream.js';

const EVENTS = 1000;

/** A source of `n` requests. */
const requests = (n: number) => {
  let given = 0;
  return {
    next: () => (given++ < n ? prepared({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: EVENTS }) : undefined),
  };
};

describe('the gaps a streamed load keeps', () => {
  it('are at most the bound over the run, a share of every stream, against a target answering in many tiny events', async () => {
    const one = `data: ${JSON.stringify({ choices: [{ delta: { content: 'x' } }] })}\n\n`;
    const url = await useServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`${one.repeat(EVENTS)}data: [DONE]\n\n`));
    });
    const r = await runLoad({
      url,
      headers: {},
      source: requests(12),
      stream: true,
      durationMs: 20_000,
      connections: 2,
      maxRequests: 12,
      maxItlSamples: 3000,
    });
    expect(r.records).toHaveLength(12);
    expect(r.records.every((x) => x.ok && x.contentEvents === EVENTS)).toBe(true);
    const kept = r.records.reduce((a, x) => a + (x.itl?.length ?? 0), 0);
    // 12 streams of 999 gaps: 11,988 seen, a quarter of them kept (every fourth place in the run).
    expect(kept).toBeLessThanOrEqual(3000);
    expect(kept).toBeGreaterThan(1500);
    expect(r.records.every((x) => (x.itl?.length ?? 0) > 0)).toBe(true);
    expect(fieldMetrics(r.records, r.durationMs, undefined, true).itl?.count).toBe(kept);
    // The span of a stream's content is still its own, whatever of its gaps were kept.
    for (const x of r.records) expect(x.lastContent! - x.ttft!).toBeGreaterThanOrEqual(0);
  });

  it('keeps every gap of a run under the bound', async () => {
    const budget = new ItlBudget(100);
    const recs = [10, 20, 30].map((n) => ({ itl: Array.from({ length: n }, (_, i) => i) }) as RequestRecord);
    for (const r of recs) budget.take(r);
    expect(recs.map((r) => r.itl!.length)).toEqual([10, 20, 30]);
  });

  it('keeps exactly the gaps at every stride-th place of the run, for any records in any order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 40 }), (max, sizes) => {
        const budget = new ItlBudget(max);
        // Each gap is its own place in the run: what is kept says which places were.
        let place = 0;
        const recs = sizes.map((n) => ({ itl: Array.from({ length: n }, () => place++) }) as RequestRecord);
        for (const r of recs) budget.take(r);
        const kept = recs.flatMap((r) => r.itl ?? []);
        expect(kept.length).toBeLessThanOrEqual(max);
        if (place <= max) {
          expect(kept).toHaveLength(place);
          return;
        }
        const stride = kept.length > 1 ? kept[1]! - kept[0]! : 2 ** Math.ceil(Math.log2(place));
        expect(Number.isInteger(Math.log2(stride))).toBe(true);
        expect(kept).toEqual(Array.from({ length: Math.ceil(place / stride) }, (_, i) => i * stride));
      }),
    );
  });
});
