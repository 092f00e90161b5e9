/**
 * The field's metrics over a scenario's requests, named as `vllm bench serve` names them: ttft, tpot, itl
 * and e2el distributions (ms), request/output/total-token throughput, completed, failed, and goodput
 * under `--slo`. Only complete 2xx answers count as throughput; every other outcome is a refusal or a
 * failure, tallied by status and code. A metric without samples says so instead of being NaN.
 */
import { type Figures, fig, round } from './context.js';
import { type RequestRecord, refusalKind } from './record.js';
import { describeSlo, meetsSlo, type Slo, tpotOf } from './slo.js';
import { type Distribution, distribution, thin } from './stats-math.js';

export const LATENCIES = ['ttft', 'tpot', 'itl', 'e2el'] as const;
export type Latency = (typeof LATENCIES)[number];
export const STATS = ['mean', 'median', 'std', 'p90', 'p95', 'p99'] as const;

export interface Refusal {
  status: number;
  code: string;
  /** For 429s, the limit that refused (tokens, requests, concurrency), when the answer named it. */
  type?: string;
  count: number;
}

export interface FieldMetrics {
  /** From the first request sent to the last answer, in ms (the denominator of every throughput). */
  duration_ms: number;
  completed: number;
  failed: number;
  total_input_tokens: number;
  total_output_tokens: number;
  request_throughput: number;
  output_throughput: number;
  total_token_throughput: number;
  /** Completed requests meeting every `--slo` target, per second; null without --slo. */
  request_goodput: number | null;
  slo: string | null;
  /** Each a distribution in ms, or null with the reason in `notes`. */
  ttft: Distribution | null;
  tpot: Distribution | null;
  itl: Distribution | null;
  e2el: Distribution | null;
  notes: Partial<Record<Latency, string>>;
}

export function tallyRefusals(records: readonly RequestRecord[]): Refusal[] {
  const m = new Map<string, Refusal>();
  const known = (key: string) => m.has(key);
  for (const r of records) {
    if (r.ok) continue;
    const { key, ...kind } = refusalKind(r, known, m.size);
    const x = m.get(key);
    if (x) x.count++;
    else m.set(key, { ...kind, count: 1 });
  }
  return [...m.values()].sort((a, b) => b.count - a.count);
}

export function samplesOf(records: readonly RequestRecord[]): Record<Latency, number[]> {
  const good = records.filter((r) => r.ok);
  return {
    ttft: good.flatMap((r) => (r.ttft === undefined ? [] : [r.ttft])),
    tpot: good.flatMap((r) => {
      const t = tpotOf(r);
      return t === undefined ? [] : [t];
    }),
    itl: good.flatMap((r) => r.itl ?? []),
    e2el: good.map((r) => r.e2el),
  };
}

export function fieldMetrics(records: readonly RequestRecord[], durationMs: number, slo: Slo | undefined, streamed: boolean): FieldMetrics {
  const good = records.filter((r) => r.ok);
  const seconds = Math.max(durationMs, 1) / 1000;
  const input = good.reduce((a, r) => a + r.inputTokens, 0);
  const output = good.reduce((a, r) => a + r.outputTokens, 0);
  const s = samplesOf(records);
  const notes: FieldMetrics['notes'] = {};
  const why = good.length === 0 ? `no samples: none of ${records.length} requests completed` : undefined;
  const dist = (k: Latency, none: string) => {
    const d = distribution(s[k]);
    if (!d) notes[k] = why ?? none;
    return d ?? null;
  };
  return {
    duration_ms: round(durationMs, 1),
    completed: good.length,
    failed: records.length - good.length,
    total_input_tokens: input,
    total_output_tokens: output,
    request_throughput: round(good.length / seconds, 3),
    output_throughput: round(output / seconds, 3),
    total_token_throughput: round((input + output) / seconds, 3),
    request_goodput: slo ? round(good.filter((r) => meetsSlo(r, slo)).length / seconds, 3) : null,
    slo: slo ? describeSlo(slo) : null,
    ttft: dist('ttft', streamed ? 'no samples: no answer had a content event' : 'no samples: answers were not streamed'),
    tpot: dist('tpot', streamed ? 'no samples: no answer had two tokens or more' : 'no samples: answers were not streamed'),
    itl: dist('itl', streamed ? 'no samples: no answer had two content events or more' : 'no samples: answers were not streamed'),
    e2el: dist('e2el', 'no samples'),
    notes,
  };
}

/** Flat figures `NAME.ttft.p99`, `NAME.request_throughput`, … for --assert and --compare (null when no samples). */
export function metricFigures(name: string, m: FieldMetrics): Figures {
  const f: Figures = {};
  for (const k of LATENCIES) for (const st of STATS) f[`${name}.${k}.${st}`] = fig(m[k]?.[st]);
  for (const k of ['request_throughput', 'output_throughput', 'total_token_throughput', 'completed', 'failed'] as const)
    f[`${name}.${k}`] = m[k];
  if (m.request_goodput !== null) f[`${name}.request_goodput`] = m.request_goodput;
  return f;
}

export const fmtMs = (x: number | undefined | null) =>
  x === undefined || x === null || !Number.isFinite(x)
    ? 'n/a'
    : x >= 1000
      ? `${(x / 1000).toFixed(2)} s`
      : `${x.toFixed(x < 10 ? 2 : 1)} ms`;

function latencyLine(label: string, d: Distribution | null, note: string | undefined): string {
  if (!d) return `${label} ${note ?? 'no samples'}`;
  return `${label} mean ${fmtMs(d.mean)} median ${fmtMs(d.median)} p90 ${fmtMs(d.p90)} p99 ${fmtMs(d.p99)}`;
}

/** Summary lines: goodput vs refusals first, then the latencies that have samples (and why the others have none). */
export function metricLines(name: string, m: FieldMetrics, refusals: readonly Refusal[]): string[] {
  const total = m.completed + m.failed;
  const label = (r: Refusal) => `${r.status} ${r.code}${r.type ? ` (${r.type})` : ''} ×${r.count}`;
  const refused = refusals.length ? `; failed ${m.failed}: ${refusals.map(label).join(', ')}` : '';
  const goodput = m.request_goodput !== null ? `, goodput under SLO (${m.slo}) ${m.request_goodput} req/s` : '';
  const head =
    `${name.padEnd(11)} ${m.request_throughput} req/s completed (2xx: ${m.completed} of ${total})${refused}; ` +
    `output ${m.output_throughput} tok/s${goodput}`;
  const lines = [head];
  const pad = ' '.repeat(12);
  lines.push(`${pad}${latencyLine('E2EL', m.e2el, m.notes.e2el)}`);
  if (m.ttft || m.completed) lines.push(`${pad}${latencyLine('TTFT', m.ttft, m.notes.ttft)}`);
  if (m.tpot) lines.push(`${pad}${latencyLine('TPOT', m.tpot, m.notes.tpot)}`);
  if (m.itl) lines.push(`${pad}${latencyLine('ITL ', m.itl, m.notes.itl)}`);
  return lines;
}

/** Distributions thinned for the HTML report's charts. */
export function chartSamples(records: readonly RequestRecord[]): Record<Latency, number[]> {
  const s = samplesOf(records);
  return { ttft: thin(s.ttft), tpot: thin(s.tpot), itl: thin(s.itl), e2el: thin(s.e2el) };
}
