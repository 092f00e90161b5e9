/**
 * `ramp` (`--ramp`): open-loop streams at doubling rates, each step for --duration, until goodput stops
 * rising — the saturation point: the highest offered rate the target still turns into completed answers,
 * with the latencies it costs. Stops early when failures pass 5 % or the client cannot offer the rate.
 */
import { authHeaders, type BenchContext, type Figures, fig, round, type ScenarioResult } from './context.js';
import { runLoad } from './driver.js';
import { fieldMetrics, fmtMs, tallyRefusals } from './metrics.js';
import { fixedSource } from './workload.js';

export const RAMP_START = 4;
export const RAMP_MAX_STEPS = 10;
/** A doubling of the offered rate that adds less than this share of goodput means saturation. */
const RISE = 0.1;

export interface RampStep {
  rate: number;
  offered: number;
  goodput: number;
  failed: number;
  ttftP50: number | null;
  e2elP50: number | null;
  e2elP99: number | null;
}

/** The last step whose goodput still rose by RISE over the one before (the first step counts as rising). */
export function saturation(steps: readonly Pick<RampStep, 'rate' | 'goodput'>[]): { index: number; saturated: boolean } {
  // 0 after 0 (nothing met the --slo) is no rise: read as `0 < 0 × 1.1` failing, it was one, and the ramp doubled on to its
  // step limit against a target giving no goodput at all.
  for (let i = 1; i < steps.length; i++)
    if (steps[i]!.goodput < steps[i - 1]!.goodput * (1 + RISE) || steps[i]!.goodput === 0) return { index: i - 1, saturated: true };
  return { index: steps.length - 1, saturated: false };
}

export async function ramp(ctx: BenchContext): Promise<ScenarioResult> {
  const steps: RampStep[] = [];
  const source = (model: string) =>
    ctx.workload?.source(model) ??
    fixedSource((i) => ({ model, messages: [{ role: 'user', content: `ramp ${i % 97} [[mock chunk=1]]` }], max_tokens: 64 }));
  let rate = ctx.rate ?? RAMP_START;
  let stopped = 'the step limit';
  for (let i = 0; i < RAMP_MAX_STEPS; i++, rate *= 2) {
    if (ctx.signal?.aborted) {
      stopped = 'the run was interrupted';
      break;
    }
    if (ctx.rampMax !== undefined && rate > ctx.rampMax) {
      stopped = `--ramp ${ctx.rampMax} reached`;
      break;
    }
    ctx.progress(`ramp: step ${i + 1}, ${rate} req/s for ${ctx.durationMs / 1000}s`);
    ctx.live.begin(`ramp ${rate} req/s`, ctx.durationMs);
    const r = await runLoad({
      url: ctx.target.url,
      api: ctx.api,
      headers: authHeaders(ctx),
      source: source(ctx.model),
      stream: true,
      durationMs: ctx.durationMs,
      connections: ctx.connections,
      rate,
      burstiness: ctx.burstiness,
      seed: i + 1,
      pacer: ctx.pacer,
      live: ctx.live,
      signal: ctx.signal,
    });
    // A step cut short offered less than its rate: it is not a step of the ramp.
    if (ctx.signal?.aborted) {
      stopped = 'the run was interrupted';
      break;
    }
    const m = fieldMetrics(r.records, r.durationMs, ctx.slo, true);
    const offered = r.arrivals / (ctx.durationMs / 1000);
    steps.push({
      rate,
      offered: round(offered, 2),
      // Under --slo, the answers that met it (vLLM's --goodput): counted whatever their latency, a target missing every
      // target of the SLO read as saturating where it would without one.
      goodput: m.request_goodput ?? m.request_throughput,
      failed: m.failed,
      ttftP50: fig(m.ttft?.median),
      e2elP50: fig(m.e2el?.median),
      e2elP99: fig(m.e2el?.p99),
    });
    if (saturation(steps).saturated) {
      stopped = 'goodput stopped rising';
      break;
    }
    if (r.records.length && m.failed / r.records.length > 0.05) {
      stopped = `${((m.failed / r.records.length) * 100).toFixed(1)}% failed (${tallyRefusals(r.records)[0]?.code ?? ''})`;
      break;
    }
    // The client is the bottleneck when it falls behind its own schedule, or has nothing ready to send.
    if (r.lagMs > 1000 || r.idle > r.arrivals * 0.2 || (ctx.pacer?.active && r.records.length < r.arrivals * 0.8)) {
      const why = r.lagMs > 1000 ? `${(r.lagMs / 1000).toFixed(1)}s behind schedule` : 'paced or no request ready';
      stopped = `the client could not offer ${rate} req/s (${why})`;
      break;
    }
  }
  const sat = saturation(steps);
  const best = steps[sat.index];
  // A step that turned its rate into no goodput is no rate the target keeps: every stream of the first step failed (or
  // none met the --slo at any step), and the first step's rate was the saturation rate — `ramp.saturationRate>=R` passed
  // a target that answered nothing.
  const none = best !== undefined && best.goodput === 0;
  const figures: Figures = {
    'ramp.steps': steps.length,
    'ramp.saturated': sat.saturated,
    'ramp.saturationRate': best && !none ? best.rate : null,
    'ramp.maxGoodput': steps.length ? Math.max(...steps.map((s) => s.goodput)) : null,
  };
  const verdict = none
    ? `no goodput at any step up to ${steps.at(-1)!.rate} req/s${ctx.slo ? ' (none met the SLO)' : ''} (stopped: ${stopped})`
    : sat.saturated
      ? `saturation at ~${best!.rate} req/s offered (goodput ${best!.goodput} req/s; doubling it added less than ${RISE * 100}%)`
      : `no saturation up to ${steps.at(-1)?.rate ?? 0} req/s (stopped: ${stopped})`;
  const lines = [
    `ramp        ${verdict}`,
    ...steps.map(
      (s) =>
        `            ${`${s.rate} req/s`.padStart(11)} → goodput ${String(s.goodput).padStart(8)} req/s, failed ${s.failed}, ` +
        `TTFT p50 ${fmtMs(s.ttftP50)}, E2EL p50 ${fmtMs(s.e2elP50)} p99 ${fmtMs(s.e2elP99)}`,
    ),
  ];
  return { figures, lines, detail: { steps, saturationIndex: sat.index, stopped } };
}
