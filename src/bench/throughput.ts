/**
 * `throughput`: non-streamed completions in a closed loop (or open loop with --rate), reported with the
 * field's metrics — completed 2xx answers only count; refusals are listed by status and code — and, when
 * the profile says where the backend is, the same load sent straight to it, so the gateway's overhead is
 * a ratio measured in one run. Client and gateway CPU show that the load generator was not the bottleneck.
 */
import { readFileSync } from 'node:fs';
import type { Profile } from '../profile/schema.js';
import { authHeaders, type BenchContext, type Figures, fig, round, type ScenarioResult, share } from './context.js';
import { type LoadResult, runLoad } from './driver.js';
import { chartSamples, fieldMetrics, metricFigures, metricLines, tallyRefusals } from './metrics.js';
import { fixedSource, type RequestSource } from './workload.js';

function cpuOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * Why the bench cannot load a backend straight as the gateway reaches it, or undefined when it can: the direct load
 * sends no key and speaks OpenAI's chat path. A backend reached with credentials (a provider's API) or in another API
 * refused each of a --duration of closed-loop requests — load on a third party's service, for a ratio of nothing.
 */
function unreachable(b: Profile['backends'][string] | undefined): string | undefined {
  if (!b) return undefined;
  if (b.mock) return b.mock.kind === 'vllm' ? undefined : `it is a mock of ${b.mock.kind}`;
  if (b.kind !== 'openai') return `it speaks ${b.kind}, not OpenAI's chat path`;
  if (b.apiKey || (b.headers && Object.keys(b.headers).length))
    return 'the gateway reaches it with credentials (apiKey or headers) the bench does not send';
  return undefined;
}

function firstTarget(ctx: BenchContext) {
  return ctx.profile?.models[ctx.model]?.targets.find((x) => x.weight > 0);
}

/** The first target of the model, when the profile says where it is and the bench can load it as it is (unreachable). */
export function directTarget(ctx: BenchContext): { url: string; model: string } | undefined {
  const t = firstTarget(ctx);
  if (!t || unreachable(ctx.profile?.backends?.[t.backend])) return undefined;
  const url = (ctx.target.backends ?? ctx.target.mocks)[t.backend];
  return url ? { url, model: t.model ?? ctx.model } : undefined;
}

/** Why the direct baseline is not sent to the backend the profile names, or undefined. */
export function directSkipped(ctx: BenchContext): string | undefined {
  const t = firstTarget(ctx);
  if (!t || !(ctx.target.backends ?? ctx.target.mocks)[t.backend]) return undefined;
  const why = unreachable(ctx.profile?.backends?.[t.backend]);
  return why ? `direct baseline skipped: ${why}` : undefined;
}

/** What the closed or open loop is, in words. */
export function loadShape(ctx: BenchContext, connections = ctx.connections): string {
  return ctx.rate ? `open loop at ${ctx.rate} req/s (burstiness ${ctx.burstiness})` : `${connections} connections`;
}

/**
 * What an open loop that fell behind its schedule offered, as the ramp judges it (more than 1 s behind): the shape
 * line says the rate asked for, and a client that could not send it (a rate past what it offers, or every arrival
 * it may hold waiting on the target) made figures of a lower one.
 */
export function behindSchedule(ctx: BenchContext, r: Pick<LoadResult, 'lagMs' | 'arrivals'>): string[] {
  if (!ctx.rate || !(r.lagMs > 1000)) return [];
  const offered = round(r.arrivals / (ctx.durationMs / 1000), 1);
  return [`            the client fell ${(r.lagMs / 1000).toFixed(1)}s behind its schedule: it offered ${offered} of ${ctx.rate} req/s`];
}

const tiny = (model: string): RequestSource =>
  fixedSource(() => ({ model, messages: [{ role: 'user', content: 'Say something short. [[mock ttft=0ms tps=0]]' }], max_tokens: 8 }));

export async function throughput(ctx: BenchContext): Promise<ScenarioResult> {
  const source = (model: string) => ctx.workload?.source(model) ?? tiny(model);
  ctx.progress(`throughput: ${loadShape(ctx)} for ${ctx.durationMs / 1000}s`);
  ctx.live.begin('throughput', ctx.durationMs);
  const cpu0 = process.cpuUsage();
  const g0 = ctx.target.pid ? cpuOf(ctx.target.pid) : Number.NaN;
  const shape = { durationMs: ctx.durationMs, connections: ctx.connections, rate: ctx.rate, burstiness: ctx.burstiness, stream: false };
  const gw = await runLoad({
    ...shape,
    url: ctx.target.url,
    api: ctx.api,
    headers: authHeaders(ctx),
    source: source(ctx.model),
    pacer: ctx.pacer,
    live: ctx.live,
    signal: ctx.signal,
  });
  const g1 = ctx.target.pid ? cpuOf(ctx.target.pid) : Number.NaN;
  const c = process.cpuUsage(cpu0);
  const m = fieldMetrics(gw.records, gw.durationMs, ctx.slo, false);
  const refusals = tallyRefusals(gw.records);
  const total = gw.records.length;
  const figures: Figures = {
    ...metricFigures('throughput', m),
    // The first cut's names, kept for --assert and --compare: now over completed (2xx) answers only.
    'throughput.rps': m.request_throughput,
    'throughput.p50': fig(m.e2el?.median),
    'throughput.p90': fig(m.e2el?.p90),
    'throughput.p99': fig(m.e2el?.p99),
    'throughput.max': fig(m.e2el?.max),
    'throughput.errors': total ? share(m.failed, total, 5) : null,
    'throughput.requests': total,
    'cpu.clientUsPerRequest': total ? round((c.user + c.system) / total, 1) : null,
  };
  const gatewayCpu = Number.isFinite(g1 - g0) && total ? round(((g1 - g0) * 1e6) / total, 1) : undefined;
  if (gatewayCpu !== undefined) figures['cpu.gatewayUsPerRequest'] = gatewayCpu;
  const lines = [
    ...metricLines('throughput', m, refusals),
    `            ${loadShape(ctx)}; client CPU ${figures['cpu.clientUsPerRequest'] ?? 'n/a'} us/req` +
      `${gatewayCpu !== undefined ? `, gateway CPU ${gatewayCpu} us/req` : ''}`,
    ...behindSchedule(ctx, gw),
    ...gw.skipped.map((s) => `            not sent: ${s}`),
  ];
  const direct = directTarget(ctx);
  const skippedDirect = directSkipped(ctx);
  if (skippedDirect) lines.push(`            ${skippedDirect}`);
  else if (direct && ctx.pacer?.active) lines.push('            direct baseline skipped: the bench was paced under the target rate limit');
  else if (direct && ctx.signal?.aborted) lines.push('            direct baseline skipped: the run was interrupted');
  else if (direct) {
    ctx.progress(`throughput: the same load straight to ${direct.url}`);
    ctx.live.begin('throughput (direct)', ctx.durationMs);
    const d = await runLoad({ ...shape, url: direct.url, headers: {}, source: source(direct.model), live: ctx.live, signal: ctx.signal });
    const dm = fieldMetrics(d.records, d.durationMs, undefined, false);
    Object.assign(figures, {
      'direct.rps': dm.request_throughput,
      'direct.p50': fig(dm.e2el?.median),
      'overhead.ratio': dm.request_throughput ? round(m.request_throughput / dm.request_throughput, 3) : null,
      'overhead.p50': m.e2el && dm.e2el ? round(m.e2el.median - dm.e2el.median, 3) : null,
      'overhead.p99': m.e2el && dm.e2el ? round(m.e2el.p99 - dm.e2el.p99, 3) : null,
    });
    const reaches =
      figures['overhead.ratio'] === null
        ? 'no ratio: no request completed'
        : `the gateway reaches ${(figures['overhead.ratio'] as number).toFixed(2)}x of direct, ` +
          `${figures['overhead.p50'] ?? 'n/a'} ms added at p50`;
    lines.push(`direct      ${dm.request_throughput} req/s completed, median ${figures['direct.p50'] ?? 'n/a'} ms → ${reaches}`);
  }
  return { figures, lines, metrics: m, refusals, detail: { samples: chartSamples(gw.records) } };
}
