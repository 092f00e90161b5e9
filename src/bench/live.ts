/**
 * What the live view shows while a scenario runs: elapsed of total, requests/s and goodput over the last
 * few seconds, failures by status and code, and current p50/p99 — fed by every request the bench makes.
 */
import { type RequestRecord, refusalKind } from './record.js';
import { percentile } from './stats-math.js';

const RECENT_MS = 5000;

export interface LiveSnapshot {
  scenario: string;
  elapsedMs: number;
  /** The scenario's planned length, when it has one. */
  totalMs: number | undefined;
  requests: number;
  ok: number;
  /** Over the last few seconds. */
  rps: number;
  goodput: number;
  p50: number | undefined;
  p99: number | undefined;
  ttftP50: number | undefined;
  /** `429 rate_limit_exceeded` → count, since the scenario began. */
  failures: [string, number][];
}

export class LiveFeed {
  private scenario = '';
  private startedAt = performance.now();
  private totalMs: number | undefined;
  private requests = 0;
  private ok = 0;
  private failures = new Map<string, { status: number; code: string; type?: string; count: number }>();
  private recent: { at: number; ok: boolean; e2el: number; ttft: number | undefined }[] = [];

  begin(scenario: string, totalMs?: number): void {
    this.scenario = scenario;
    this.startedAt = performance.now();
    this.totalMs = totalMs;
    this.requests = 0;
    this.ok = 0;
    this.failures = new Map();
    this.recent = [];
  }

  record(r: Pick<RequestRecord, 'ok' | 'status' | 'code' | 'e2el' | 'ttft' | 'errorType'>): void {
    this.requests++;
    if (r.ok) this.ok++;
    else {
      const { key, ...kind } = refusalKind(r, (k) => this.failures.has(k), this.failures.size);
      const x = this.failures.get(key);
      if (x) x.count++;
      else this.failures.set(key, { ...kind, count: 1 });
    }
    this.recent.push({ at: performance.now(), ok: r.ok, e2el: r.e2el, ttft: r.ttft });
    if (this.recent.length > 20_000) this.recent = this.recent.slice(-10_000);
  }

  snapshot(now = performance.now()): LiveSnapshot {
    const since = now - RECENT_MS;
    let first = 0;
    while (first < this.recent.length && this.recent[first]!.at < since) first++;
    this.recent = this.recent.slice(first);
    const span = Math.max(1, Math.min(RECENT_MS, now - this.startedAt)) / 1000;
    const latencies = this.recent.filter((x) => x.ok).map((x) => x.e2el);
    latencies.sort((a, b) => a - b);
    const ttfts = this.recent.flatMap((x) => (x.ok && x.ttft !== undefined ? [x.ttft] : [])).sort((a, b) => a - b);
    return {
      scenario: this.scenario,
      elapsedMs: now - this.startedAt,
      totalMs: this.totalMs,
      requests: this.requests,
      ok: this.ok,
      rps: this.recent.length / span,
      goodput: latencies.length / span,
      p50: latencies.length ? percentile(latencies, 0.5) : undefined,
      p99: latencies.length ? percentile(latencies, 0.99) : undefined,
      ttftP50: ttfts.length ? percentile(ttfts, 0.5) : undefined,
      failures: this.refusals().map((f) => [`${f.status} ${f.code}${f.type ? ` (${f.type})` : ''}`, f.count] as [string, number]),
    };
  }

  /** Failures and refusals since the scenario began, by status, code (and limit, for 429s), largest first. */
  refusals(): { status: number; code: string; type?: string; count: number }[] {
    return [...this.failures.values()].sort((a, b) => b.count - a.count);
  }
}

const ms = (x: number | undefined) => (x === undefined ? '–' : x >= 1000 ? `${(x / 1000).toFixed(2)}s` : `${x.toFixed(x < 10 ? 1 : 0)}ms`);

/** One line: `stream 2.1s/3.0s  45.2 req/s  goodput 44.0/s  p50 82ms p99 140ms  429 rate_limit_exceeded ×3`. */
export function liveLine(s: LiveSnapshot): string {
  const of = s.totalMs ? `/${(s.totalMs / 1000).toFixed(1)}s` : '';
  const failures = s.failures.length ? `  ${s.failures.map(([k, n]) => `${k} ×${n}`).join(', ')}` : '';
  const ttft = s.ttftP50 !== undefined ? `  TTFT p50 ${ms(s.ttftP50)}` : '';
  return (
    `${s.scenario} ${(s.elapsedMs / 1000).toFixed(1)}s${of}  ${s.rps.toFixed(1)} req/s  goodput ${s.goodput.toFixed(1)}/s  ` +
    `p50 ${ms(s.p50)} p99 ${ms(s.p99)}${ttft}  ${s.requests} sent${failures}`
  );
}
