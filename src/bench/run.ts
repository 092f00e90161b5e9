/** Runs the chosen scenarios against one target and gathers figures, verdicts and the JSON report. */
import { evaluate } from './assertions.js';
import type { BenchContext, Figures, ScenarioResult } from './context.js';
import { accounting } from './accounting.js';
import { cancel } from './cancel.js';
import { errorsScenario } from './errors.js';
import { sweep } from './sweep.js';
import { long } from './long.js';
import { ratelimit } from './ratelimit.js';
import { environment, type BenchReport } from './report.js';
import { split } from './split.js';
import { streamScenario } from './stream.js';
import { throughput } from './throughput.js';

export const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<ScenarioResult>> = {
  throughput,
  stream: streamScenario,
  long,
  split,
  ratelimit,
  sweep,
  cancel,
  accounting,
  errors: errorsScenario,
};

/**
 * The scenarios that apply when none is named: ratelimit only with a limited tenant, split only with a
 * known split, cancel and accounting only with the mocks' /mock/stats; sweep (slow) only when asked.
 */
export function defaultScenarios(ctx: BenchContext): string[] {
  const out = ['throughput', 'stream', 'long'];
  const m = ctx.profile?.models[ctx.model];
  if (ctx.expect || (m && m.targets.length > 1)) out.push('split');
  if (ctx.limitedKey) out.push('ratelimit');
  if (Object.keys(ctx.target.mocks).length) out.push('cancel', 'accounting');
  out.push('errors');
  return out;
}

export async function runBench(
  ctx: BenchContext,
  names: readonly string[],
  asserts: readonly string[],
  onScenario: (name: string, index: number) => void = () => {},
): Promise<BenchReport> {
  const report: BenchReport = {
    version: 1,
    env: environment(ctx.target.url, ctx.model, ctx.durationMs, ctx.connections),
    scenarios: {},
    figures: {},
    assertions: [],
  };
  for (const [i, name] of names.entries()) {
    onScenario(name, i);
    const scenario = SCENARIOS[name];
    if (!scenario) throw new Error(`unknown scenario "${name}" (${Object.keys(SCENARIOS).join(', ')})`);
    const r = await scenario(ctx);
    report.scenarios[name] = r;
    Object.assign(report.figures, r.figures as Figures);
  }
  report.assertions = asserts.map((a) => evaluate(a, report.figures));
  return report;
}
