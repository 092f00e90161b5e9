/**
 * `--slo ttft:200ms,tpot:50ms`: the service levels a request must meet to count towards goodput, as
 * `vllm bench serve --goodput` defines it (a request is good when it meets every one). Bare numbers are ms.
 */
import { parseDuration } from '../core/units.js';
import type { RequestRecord } from './record.js';

export const SLO_METRICS = ['ttft', 'tpot', 'e2el'] as const;
export type SloMetric = (typeof SLO_METRICS)[number];
export type Slo = Partial<Record<SloMetric, number>>;

export function parseSlo(spec: string): { ok: true; value: Slo } | { ok: false; message: string } {
  const slo: Slo = {};
  for (const part of spec.split(',')) {
    const m = /^\s*([a-z0-9_]+)\s*[:=]\s*(\S+)\s*$/.exec(part);
    const metric = m?.[1] as SloMetric | undefined;
    if (!m || !metric || !SLO_METRICS.includes(metric))
      return { ok: false, message: `--slo takes ${SLO_METRICS.join(', ')} with a duration, e.g. ttft:200ms,tpot:50ms; got "${spec}"` };
    const ms = /^\d+(\.\d+)?$/.test(m[2]!) ? Number(m[2]) : parseDuration(m[2]!);
    // A bound of Infinity (a number of 400 digits) is no level: every request would meet it.
    if (ms === undefined || !(ms > 0) || !Number.isFinite(ms))
      return { ok: false, message: `--slo ${metric}: expected a positive duration such as 200ms, got "${m[2]}"` };
    slo[metric] = ms;
  }
  return { ok: true, value: slo };
}

/** vLLM's TPOT for one request: the time after the first token, per later token; undefined with fewer than two. */
export function tpotOf(r: Pick<RequestRecord, 'e2el' | 'ttft' | 'outputTokens'>): number | undefined {
  return r.ttft !== undefined && r.outputTokens > 1 ? (r.e2el - r.ttft) / (r.outputTokens - 1) : undefined;
}

/**
 * Whether a completed request meets the SLO. A non-streamed answer's first token reaches the client with
 * its last, so its TTFT is its end-to-end latency; it has no TPOT to fail.
 */
export function meetsSlo(r: RequestRecord, slo: Slo): boolean {
  if (!r.ok) return false;
  const ttft = r.ttft ?? r.e2el;
  const tpot = tpotOf(r);
  if (slo.ttft !== undefined && ttft > slo.ttft) return false;
  if (slo.tpot !== undefined && tpot !== undefined && tpot > slo.tpot) return false;
  if (slo.e2el !== undefined && r.e2el > slo.e2el) return false;
  return true;
}

export const describeSlo = (slo: Slo) =>
  Object.entries(slo)
    .map(([k, v]) => `${k}<=${v}ms`)
    .join(', ');
