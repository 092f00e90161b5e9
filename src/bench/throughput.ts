/**
 * `throughput`: a closed loop of small non-streamed completions (autocannon): requests/s, latency
 * quantiles, errors by status — and, when the profile names the backend, the same load sent straight to
 * it, so the gateway's overhead is a ratio measured in one run. Client and gateway CPU are reported so a
 * reader can see that the load generator was not the bottleneck.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { authHeaders, round, type BenchContext, type ScenarioResult } from './context.js';

interface Run {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  total: number;
  errors: number;
  byStatus: Record<string, number>;
}

function load(url: string, body: string, headers: Record<string, string>, connections: number, ms: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const byStatus: Record<string, number> = {};
    const inst = autocannon(
      {
        url,
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
        connections,
        duration: Math.max(1, ms / 1000),
      },
      (err, r) => {
        if (err) return reject(err);
        const total = r.requests.total;
        resolve({
          rps: r.requests.average,
          p50: r.latency.p50,
          p90: r.latency.p90,
          p99: r.latency.p99,
          max: r.latency.max,
          total,
          errors: total ? (r.non2xx + r.errors) / total : 0,
          byStatus,
        });
      },
    );
    inst.on('response', (_c: unknown, status: number) => (byStatus[status] = (byStatus[status] ?? 0) + 1));
  });
}

function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** The first target of the model, if the profile says where it is. */
function directTarget(ctx: BenchContext): { url: string; model: string } | undefined {
  const m = ctx.profile?.models[ctx.model];
  const t = m?.targets.find((x) => x.weight > 0);
  if (!t) return undefined;
  const url = ctx.target.mocks[t.backend] ?? ctx.profile!.backends[t.backend]?.url;
  return url ? { url, model: t.model ?? ctx.model } : undefined;
}

export async function throughput(ctx: BenchContext): Promise<ScenarioResult> {
  const body = (model: string) =>
    JSON.stringify({ model, messages: [{ role: 'user', content: 'Say something short. [[mock ttft=0ms tps=0]]' }], max_tokens: 8 });
  ctx.progress(`throughput: ${ctx.connections} connections for ${ctx.durationMs / 1000}s`);
  const cpu0 = process.cpuUsage();
  const g0 = ctx.target.pid ? cpuOf(ctx.target.pid) : 0;
  const gw = await load(`${ctx.target.url}/v1/chat/completions`, body(ctx.model), authHeaders(ctx), ctx.connections, ctx.durationMs);
  const g1 = ctx.target.pid ? cpuOf(ctx.target.pid) : 0;
  const c = process.cpuUsage(cpu0);
  const figures: ScenarioResult['figures'] = {
    'throughput.rps': round(gw.rps, 1),
    'throughput.p50': gw.p50,
    'throughput.p90': gw.p90,
    'throughput.p99': gw.p99,
    'throughput.max': gw.max,
    'throughput.errors': round(gw.errors, 5),
    'throughput.requests': gw.total,
    'cpu.clientUsPerRequest': round((c.user + c.system) / Math.max(1, gw.total), 1),
  };
  if (ctx.target.pid) figures['cpu.gatewayUsPerRequest'] = round(((g1 - g0) * 1e6) / Math.max(1, gw.total), 1);
  const latency = `p50 ${gw.p50} ms  p90 ${gw.p90} ms  p99 ${gw.p99} ms  max ${gw.max} ms`;
  const gatewayCpu = ctx.target.pid ? `, gateway CPU ${figures['cpu.gatewayUsPerRequest']} us/req` : '';
  const lines = [
    `throughput  ${gw.rps.toFixed(0)} req/s  ${latency}  errors ${(gw.errors * 100).toFixed(2)}% ${JSON.stringify(gw.byStatus)}`,
    `            client CPU ${figures['cpu.clientUsPerRequest']} us/req${gatewayCpu}`,
  ];
  const direct = directTarget(ctx);
  if (direct) {
    ctx.progress(`throughput: the same load straight to ${direct.url}`);
    const d = await load(`${direct.url}/v1/chat/completions`, body(direct.model), {}, ctx.connections, ctx.durationMs);
    Object.assign(figures, {
      'direct.rps': round(d.rps, 1),
      'direct.p50': d.p50,
      'overhead.ratio': round(gw.rps / Math.max(1, d.rps), 3),
      'overhead.p50': round(gw.p50 - d.p50, 3),
      'overhead.p99': round(gw.p99 - d.p99, 3),
    });
    const reaches = `${(figures['overhead.ratio'] as number).toFixed(2)}x of direct, +${figures['overhead.p50']} ms at p50`;
    lines.push(`direct      ${d.rps.toFixed(0)} req/s  p50 ${d.p50} ms → the gateway reaches ${reaches}`);
  }
  return { figures, lines, detail: { gateway: gw } };
}
