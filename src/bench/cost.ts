/**
 * `cost`: spend per 1,000 requests by strategy, on identical fleets of one dear large-context model and two
 * cheap small-context replicas, with a mix of short prompts and some too long for the small window.
 * Spend is computed here from each answer's usage and the prices of the backend that served it (so it
 * holds through any gateway), and read from the gateway's /aigw/stats to check its own account.
 * The headline figure prices the requests every target can serve — the same set under every strategy —
 * because a strategy that sends a long prompt to a small window looks cheap only until the backend refuses
 * it (the mocks do not; a real vLLM answers 400): those are counted as overflows, and priced in `usdPer1kAll`.
 */
import { Rng } from '../core/hash.js';
import { generateText } from '../mock/text.js';
import type { BenchContext, BenchTarget, Figures, ScenarioResult } from './context.js';
import { adminHeaders, fig, round } from './context.js';
import { runLoad } from './driver.js';
import { eachStrategy, type FleetTarget, startFleet } from './fleet.js';
import type { RequestRecord } from './record.js';
import { ROUTING_DEFAULTS } from './routing-options.js';
import { prepared, type RequestSource } from './workload.js';

const UPSTREAM_MODEL = 'fleet-model';
const DEFAULT_STRATEGIES = ['weighted', 'least-request', 'cost'];
const SMALL_WINDOW = 4096;
const SHORT_TOKENS = 300;
const LONG_TOKENS = 6000;
const LONG_SHARE = 0.1;
const ANSWER_TOKENS = 64;

/** Two cheap replicas with a small window, one dear model with a large one (USD per million tokens). */
export const COST_TARGETS: readonly FleetTarget[] = Object.freeze([
  { backend: 'small-a', pricing: { input: 0.05, output: 0.08 }, contextWindow: SMALL_WINDOW },
  { backend: 'small-b', pricing: { input: 0.05, output: 0.08 }, contextWindow: SMALL_WINDOW },
  { backend: 'large', pricing: { input: 0.6, cachedInput: 0.3, output: 0.8 }, contextWindow: 131_072 },
]);

/** 80 % short prompts, 20 % longer than the small window; the same sequence for every strategy. */
function mixedPrompts(model: string): RequestSource {
  const rng = new Rng(29);
  let i = 0;
  return {
    next: () => {
      const long = rng.float() < LONG_SHARE;
      const content = generateText(`cost prompt ${i++}`, 3, long ? LONG_TOKENS : SHORT_TOKENS);
      return prepared({ model, messages: [{ role: 'user', content }], max_tokens: ANSWER_TOKENS });
    },
  };
}

/** USD of one answer, from its usage and the prices of the backend that served it (undefined: unknown backend). */
function spend(r: RequestRecord): number | undefined {
  const t = COST_TARGETS.find((x) => x.backend === r.backend);
  if (!t?.pricing) return undefined;
  return (r.inputTokens * t.pricing.input + r.outputTokens * t.pricing.output) / 1e6;
}

interface StrategyRun {
  strategy: string;
  requests: number;
  ok: number;
  /** Spend on every answer, and on the answers whose prompt fits every target (and how many those are). */
  usd: number;
  fitting: number;
  fittingUsd: number;
  gatewayUsd: number | undefined;
  overflows: number;
  byBackend: Record<string, number>;
}

async function gatewaySpend(ctx: BenchContext, target: BenchTarget): Promise<number | undefined> {
  if (!target.admin) return undefined;
  try {
    const r = await fetch(`${target.admin}/aigw/stats`, { headers: adminHeaders(target) });
    const s = (await r.json()) as { models?: Record<string, { costUsd?: number }> };
    const usd = s.models?.[ctx.model]?.costUsd;
    return typeof usd === 'number' ? usd : undefined;
  } catch {
    return undefined;
  }
}

async function runStrategy(ctx: BenchContext, requests: number, strategy: string): Promise<StrategyRun> {
  const fleet = await startFleet({
    model: ctx.model,
    upstreamModel: UPSTREAM_MODEL,
    strategy,
    backends: COST_TARGETS.map((t) => ({ name: t.backend, ttftMs: 5, tokensPerSecond: 0 })),
    targets: COST_TARGETS,
  });
  try {
    ctx.progress(`cost: ${strategy}: ${requests} requests`);
    ctx.live.begin(`cost ${strategy}`);
    const load = await runLoad({
      url: fleet.target.url,
      headers: {},
      source: mixedPrompts(ctx.model),
      stream: false,
      durationMs: 30 * 60_000,
      connections: Math.max(1, Math.min(ctx.connections, 16)),
      maxRequests: requests,
      live: ctx.live,
      signal: ctx.signal,
    });
    const ok = load.records.filter((r) => r.ok);
    const byBackend: Record<string, number> = {};
    let usd = 0;
    let fitting = 0;
    let fittingUsd = 0;
    let overflows = 0;
    for (const r of ok) {
      const b = r.backend ?? 'unknown';
      byBackend[b] = (byBackend[b] ?? 0) + 1;
      const paid = spend(r) ?? 0;
      usd += paid;
      const need = r.inputTokens + ANSWER_TOKENS;
      if (need <= SMALL_WINDOW) {
        fitting++;
        fittingUsd += paid;
      }
      const window = COST_TARGETS.find((t) => t.backend === r.backend)?.contextWindow;
      if (window !== undefined && need > window) overflows++;
    }
    // The gateway settles each answer's cost before its event: a moment for the last ones to land.
    await new Promise((r) => setTimeout(r, 200));
    return {
      strategy,
      requests: load.records.length,
      ok: ok.length,
      usd,
      fitting,
      fittingUsd,
      gatewayUsd: await gatewaySpend(ctx, fleet.target),
      overflows,
      byBackend,
    };
  } finally {
    await fleet.stop();
  }
}

export async function cost(ctx: BenchContext): Promise<ScenarioResult> {
  const o = ctx.routing ?? ROUTING_DEFAULTS;
  const strategies = o.strategies ?? DEFAULT_STRATEGIES;
  const runs = await eachStrategy(ctx, strategies, (s) => runStrategy(ctx, o.requests, s));
  const figures: Figures = {};
  const lines = [
    `cost        ${o.requests} requests per strategy, ${100 * LONG_SHARE}% of them too long for the cheap replicas' ${SMALL_WINDOW}-token window ` +
      '($ per 1k: requests every target serves; all: every request, priced where it went)',
    `            ${'strategy'.padEnd(14)} ${'$ per 1k'.padStart(10)} ${'all'.padStart(10)} ${'gateway'.padStart(10)} ${'overflows'.padStart(9)}  served by`,
  ];
  for (const r of runs) {
    const k = `cost.${r.strategy}`;
    figures[`${k}.usdPer1k`] = r.fitting ? round((1000 * r.fittingUsd) / r.fitting, 6) : null;
    figures[`${k}.usdPer1kAll`] = r.ok ? round((1000 * r.usd) / r.ok, 6) : null;
    figures[`${k}.gatewayUsdPer1k`] = r.ok && r.gatewayUsd !== undefined ? round((1000 * r.gatewayUsd) / r.ok, 6) : null;
    figures[`${k}.overflows`] = r.ok ? round(r.overflows / r.ok, 4) : null;
    figures[`${k}.errors`] = r.requests ? round((r.requests - r.ok) / r.requests, 4) : null;
    const served = Object.entries(r.byBackend)
      .sort()
      .map(([b, n]) => `${b} ${round((100 * n) / Math.max(1, r.ok), 1)}%`)
      .join(', ');
    lines.push(
      `            ${r.strategy.padEnd(14)} ${`$${figures[`${k}.usdPer1k`]}`.padStart(10)} ${`$${figures[`${k}.usdPer1kAll`]}`.padStart(10)} ` +
        `${`$${figures[`${k}.gatewayUsdPer1k`] ?? 'n/a'}`.padStart(10)} ` +
        `${`${round(100 * Number(figures[`${k}.overflows`] ?? 0), 1)}%`.padStart(9)}  ${served}`,
    );
  }
  const base = runs.find((r) => r.strategy === 'weighted');
  const best = runs.find((r) => r.strategy === 'cost');
  if (base?.fitting && best?.fitting && base.fittingUsd > 0) {
    figures['cost.saving'] = fig(1 - best.fittingUsd / best.fitting / (base.fittingUsd / base.fitting), 4);
    lines.push(
      `            cost vs weighted: ${round(100 * Number(figures['cost.saving']), 1)}% less spend on the requests every target serves; ` +
        `${round(100 * Number(figures['cost.cost.overflows'] ?? 0), 1)}% vs ${round(100 * Number(figures['cost.weighted.overflows'] ?? 0), 1)}% ` +
        'sent where they overflow the context window',
    );
  }
  return { figures, lines, detail: { options: o, targets: COST_TARGETS, runs } };
}
