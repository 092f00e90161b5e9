/**
 * A target that answers every request 429 with `retry-after-ms: 120000` has the pacer wait its two minutes before each
 * request of a scenario that sends one after the other: accounting's 40 took 40 minutes, split's 200 stickiness checks
 * hours. Each scenario now runs under a time budget (DEFAULT_BUDGET answer deadlines); past it the scenario stops as on
 * an interrupt, the report says it was cut by its budget, and no assertion passes on its figures.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { parseAssertion } from '../../../src/bench/assertions.js';
import { Pacer } from '../../../src/bench/pacer.js';
import { type BenchReport, compare, parseReport } from '../../../src/bench/report.js';
import { DEFAULT_BUDGET, runBench } from '../../../src/bench/run.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useServer } from '../../helpers/upstream.js';

/** Answers `honest` requests in full (usage = max_tokens), then refuses every one with a two-minute retry-after. */
async function tiring(honest: number): Promise<{ url: string; asked: () => number }> {
  let n = 0;
  const url = await useServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      n++;
      if (n > honest) {
        res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '120000', 'retry-after': '3600' })
          .end(JSON.stringify({ error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { max_tokens: number; stream?: boolean };
      const usage = { prompt_tokens: 3, completion_tokens: body.max_tokens, total_tokens: 3 + body.max_tokens };
      if (!body.stream) {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage }));
        return;
      }
      const ev = (o: object) => `data: ${JSON.stringify(o)}\n\n`;
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end(
          ev({ choices: [{ delta: { content: 'ok' }, finish_reason: null }] }) +
            ev({ choices: [{ delta: {}, finish_reason: 'stop' }] }) +
            ev({ choices: [], usage }) +
            'data: [DONE]\n\n',
        );
    });
  });
  return { url, asked: () => n };
}

/** An answer's deadline of 0.7 s: the scenario's budget is DEFAULT_BUDGET of them. */
const short = { durationMs: 100, drainMs: 600, connections: 1 };
const budgetMs = DEFAULT_BUDGET * (short.durationMs + short.drainMs);

describe('a scenario against a target that says to come back in two minutes, every time', () => {
  it('accounting stops at its budget, is reported cut, and passes no assertion', async () => {
    const t = await tiring(4);
    const ctx = benchContext({ url: t.url, mocks: {} }, { ...short, pacer: new Pacer(60_000, () => {}) });
    const a = parseAssertion('accounting.disagreement<1000');
    if (!a.ok) throw new Error(a.message);
    const t0 = performance.now();
    const report = await runBench(ctx, ['accounting'], [a.value]);
    const ms = performance.now() - t0;
    // Its budget and the pacer's one-second wake-up, not 40 requests' two minutes each.
    expect(ms).toBeLessThan(budgetMs + 10_000);
    expect(report.cutByBudget).toEqual([{ scenario: 'accounting', budgetMs }]);
    const lines = report.scenarios.accounting!.lines.join('\n');
    expect(lines).toContain(`cut by its time budget of ${budgetMs / 1000}s`);
    // What it measured before holds the assertion's bound: not a verdict on a scenario cut short.
    expect(report.figures['accounting.disagreement']).toBeLessThan(1000);
    expect(report.assertions[0]).toMatchObject({ ok: false, message: expect.stringContaining('cut by its time budget') });
    expect(report.interrupted).toBeUndefined();
  });

  it("split's stickiness check stops at the budget too", async () => {
    const t = await tiring(0);
    const profile = { models: { m: { targets: [{ backend: 'a', weight: 1 }], sticky: { header: 'x-session' } } } } as never;
    const ctx = benchContext({ url: t.url, mocks: {} }, { ...short, profile, pacer: new Pacer(60_000, () => {}) });
    const t0 = performance.now();
    const report = await runBench(ctx, ['split'], []);
    expect(performance.now() - t0).toBeLessThan(budgetMs + 10_000);
    expect(report.cutByBudget?.map((c) => c.scenario)).toEqual(['split']);
  });

  it('an honest, quick scenario is not cut', async () => {
    const t = await tiring(1000);
    const ctx = benchContext({ url: t.url, mocks: {} }, { durationMs: 100, drainMs: 5000, connections: 1 });
    const report = await runBench(ctx, ['accounting'], []);
    expect(report.cutByBudget).toBeUndefined();
    expect(report.figures['accounting.disagreement']).toBe(0);
    expect(t.asked()).toBe(40);
  });
});

describe('--compare against a run whose scenario was cut by its budget', () => {
  const report = (figures: BenchReport['figures'], cut: boolean): BenchReport => ({
    version: 1,
    env: { node: '', platform: '', cpus: 2, cpuModel: '', target: 't', model: 'm', startedAt: 'x', durationMs: 1, connections: 1 },
    scenarios: { accounting: { figures, lines: [] } },
    figures,
    assertions: [],
    ...(cut ? { cutByBudget: [{ scenario: 'accounting', budgetMs: 280_000 }] } : {}),
  });

  it("reads the cut scenario's figures as not measured, not as unchanged", () => {
    const before = report({ 'accounting.disagreement': 0 }, false);
    const after = report({ 'accounting.disagreement': 0 }, true);
    // Read back from its file, as --compare does: the cut is kept.
    const parsed = parseReport(JSON.stringify(after));
    if (!parsed.ok) throw new Error(parsed.message);
    const c = compare(before, parsed.value);
    expect(c.regressions).toBe(1);
    expect(c.lines.join('\n')).toContain("the after run's accounting was cut by its time budget of 280s");
    expect(c.lines.find((l) => l.includes('accounting.disagreement'))).toMatch(/REGRESSION.*not measured/);
    // A cut baseline is no baseline for it either.
    expect(compare(after, before).regressions).toBe(0);
  });
});
