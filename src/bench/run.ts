/**
 * The scenario registry, and the run: the chosen scenarios against one target, gathered into figures,
 * verdicts and the JSON report. A new scenario is one entry here (and one file).
 */
import { accounting } from './accounting.js';
import { type Assertion, evaluate, figureKey } from './assertions.js';
import { cancel } from './cancel.js';
import { answerDeadlineMs } from './client.js';
import { cost } from './cost.js';
import type { BenchContext, ScenarioResult } from './context.js';
import { errorsScenario } from './errors.js';
import { latency } from './latency.js';
import { long } from './long.js';
import { prefix } from './prefix.js';
import { RAMP_MAX_STEPS, ramp } from './ramp.js';
import { ratelimit } from './ratelimit.js';
import { type BenchReport, environment } from './report.js';
import { split } from './split.js';
import { streamScenario } from './stream.js';
import { sweep } from './sweep.js';
import { throughput } from './throughput.js';
import { timerDelay } from '../core/timer-delay.js';

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
  /**
   * Its time budget, in answer deadlines (--duration and the drain: client.ts answerDeadlineMs); DEFAULT_BUDGET when
   * absent, none for the fleets of the bench's own (they face no target).
   */
  budget?: number;
}

/**
 * What a scenario may take facing the target, in answer deadlines: the longest an honest one needs (throughput's two
 * loads, long's or sweep's answers, split's load and then its stickiness check) with room to spare. Every answer has its
 * deadline, but one after the other — and a target answering each request 429 `retry-after-ms: 120000` has each one
 * wait the pacer's two minutes first — accounting's 40 requests took 40 minutes and split's 200 stickiness checks hours.
 */
export const DEFAULT_BUDGET = 4;

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
  ramp: { run: ramp, budget: RAMP_MAX_STEPS + 2 },
  sweep: { run: sweep },
  cancel: { run: cancel, byDefault: hasMocks },
  accounting: { run: accounting, byDefault: hasMocks },
  errors: { run: errorsScenario, byDefault: () => true, provokes: true },
  prefix: { run: prefix, ownFleet: true, budget: Number.POSITIVE_INFINITY },
  latency: { run: latency, ownFleet: true, budget: Number.POSITIVE_INFINITY },
  cost: { run: cost, ownFleet: true, budget: Number.POSITIVE_INFINITY },
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
    const budgetMs = (spec.budget ?? DEFAULT_BUDGET) * answerDeadlineMs(ctx);
    const r = await withBudget(ctx, budgetMs, (scoped) => spec.run(scoped));
    if (r.cutByBudget) {
      (report.cutByBudget ??= []).push({ scenario: name, budgetMs });
      r.lines.push(
        `            cut by its time budget of ${budgetMs / 1000}s: the figures above cover what ran before it, and prove nothing`,
      );
    }
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
  report.assertions = asserts.map((a) => {
    const v = evaluate(a, report.figures);
    // A scenario cut by its budget measured a part of what it is about: its figures pass no assertion.
    const key = figureKey(a, report.figures);
    const cut = report.cutByBudget?.find((c) => Object.hasOwn(report.scenarios[c.scenario]?.figures ?? {}, key));
    if (!v.ok || !cut) return v;
    return {
      ...v,
      ok: false,
      message: `FAIL ${a.expr} (${cut.scenario} was cut by its time budget of ${cut.budgetMs / 1000}s: not proven)`,
    };
  });
  return report;
}

/**
 * Runs a scenario under its budget: past it the scenario's signal is aborted as an interrupt's is — it stops sending, cuts
 * what is in flight and reports what it measured — and its result says it was cut. The run's own interrupt still reaches it.
 */
async function withBudget(
  ctx: BenchContext,
  budgetMs: number,
  run: (ctx: BenchContext) => Promise<ScenarioResult>,
): Promise<ScenarioResult> {
  if (!Number.isFinite(budgetMs)) return run(ctx);
  const ac = new AbortController();
  let cut = false;
  const timer = setTimeout(() => {
    cut = !ac.signal.aborted;
    ac.abort(new Error('cut_by_budget'));
  }, timerDelay(budgetMs));
  const interrupt = () => ac.abort(ctx.signal?.reason);
  if (ctx.signal?.aborted) interrupt();
  else ctx.signal?.addEventListener('abort', interrupt, { once: true });
  try {
    const r = await run({ ...ctx, signal: ac.signal });
    return cut ? { ...r, cutByBudget: true } : r;
  } finally {
    clearTimeout(timer);
    ctx.signal?.removeEventListener('abort', interrupt);
  }
}
