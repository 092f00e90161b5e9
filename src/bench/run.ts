/**
 * The scenario registry, and the run: the chosen scenarios against one target, gathered into figures,
 * verdicts and the JSON report. A new scenario is one entry here (and one file).
 */
import { accounting } from './accounting.js';
import { type Assertion, evaluate } from './assertions.js';
import { cancel } from './cancel.js';
import { cost } from './cost.js';
import type { BenchContext, ScenarioResult } from './context.js';
import { errorsScenario } from './errors.js';
import { latency } from './latency.js';
import { long } from './long.js';
import { prefix } from './prefix.js';
import { ramp } from './ramp.js';
import { ratelimit } from './ratelimit.js';
import { type BenchReport, environment } from './report.js';
import { split } from './split.js';
import { streamScenario } from './stream.js';
import { sweep } from './sweep.js';
import { throughput } from './throughput.js';

export interface ScenarioSpec {
  run(ctx: BenchContext): Promise<ScenarioResult>;
  /** Whether it runs when no scenario is named (absent: only when named). */
  byDefault?(ctx: BenchContext): boolean;
  /** It spends a tenant's budget on purpose, so it runs after the others. */
  last?: boolean;
  /** Refusals are what it provokes (its lines say so): no separate refusal line. */
  provokes?: boolean;
  /** It starts its own fleets (mocks and gateways, one per strategy) and needs no target. */
  ownFleet?: boolean;
}

const hasMocks = (ctx: BenchContext) => Object.keys(ctx.target.mocks).length > 0;

export const SCENARIOS: Record<string, ScenarioSpec> = {
  throughput: { run: throughput, byDefault: () => true },
  stream: { run: streamScenario, byDefault: () => true },
  long: { run: long, byDefault: () => true },
  split: {
    run: split,
    byDefault: (ctx) => !!ctx.expect || (ctx.profile?.models[ctx.model]?.targets.length ?? 0) > 1,
  },
  ratelimit: { run: ratelimit, byDefault: (ctx) => !!ctx.limitedKey, last: true, provokes: true },
  ramp: { run: ramp },
  sweep: { run: sweep },
  cancel: { run: cancel, byDefault: hasMocks },
  accounting: { run: accounting, byDefault: hasMocks },
  errors: { run: errorsScenario, byDefault: () => true, provokes: true },
  prefix: { run: prefix, ownFleet: true },
  latency: { run: latency, ownFleet: true },
  cost: { run: cost, ownFleet: true },
};

/**
 * The scenarios that apply when none is named: split only with a known split, ratelimit only with a
 * limited tenant (and last), cancel and accounting only with the mocks' /mock/stats; sweep and ramp
 * (slow) only when asked.
 */
export function defaultScenarios(ctx: BenchContext): string[] {
  const names = Object.entries(SCENARIOS).filter(([, s]) => s.byDefault?.(ctx));
  return [...names.filter(([, s]) => !s.last), ...names.filter(([, s]) => s.last)].map(([n]) => n);
}

export async function runBench(
  ctx: BenchContext,
  names: readonly string[],
  asserts: readonly Assertion[],
  onScenario: (name: string, index: number) => void = () => {},
): Promise<BenchReport> {
  for (const name of names) if (!SCENARIOS[name]) throw new Error(`unknown scenario "${name}" (${Object.keys(SCENARIOS).join(', ')})`);
  const report: BenchReport = {
    version: 1,
    env: environment(ctx),
    scenarios: {},
    figures: {},
    notices: [],
    assertions: [],
  };
  for (const [i, name] of names.entries()) {
    if (ctx.signal?.aborted) {
      const during = names[i - 1];
      report.interrupted = { ...(during !== undefined ? { during } : {}), skipped: names.slice(i) };
      break;
    }
    onScenario(name, i);
    const spec = SCENARIOS[name]!;
    const r = await spec.run(ctx);
    // Every scenario reports its refusals apart from what succeeded; load scenarios tally their own.
    if (!r.refusals) {
      r.refusals = ctx.live.refusals();
      const label = (x: (typeof r.refusals)[number]) => `${x.status} ${x.code}${x.type ? ` (${x.type})` : ''} ×${x.count}`;
      if (r.refusals.length && !spec.provokes) r.lines.push(`            failed or refused: ${r.refusals.map(label).join(', ')}`);
    }
    report.scenarios[name] = r;
    Object.assign(report.figures, r.figures);
    if (ctx.signal?.aborted && i === names.length - 1) report.interrupted = { during: name, skipped: [] };
  }
  report.notices = [...(ctx.pacer?.seen ?? [])];
  report.assertions = asserts.map((a) => evaluate(a, report.figures));
  return report;
}
