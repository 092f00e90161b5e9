/**
 * `latency`: one backend of an identical fleet is made slower mid-run (`/mock/control` slowdown, every
 * GPU-bound delay × N) and fast again, once per strategy (weighted and latency by default), under the same
 * closed-loop load of small streams. Per strategy: the share of new requests that avoided the slow backend
 * while it was slow, how soon that share reached 80 % (and stayed), TTFT p50/p90/p99 while it was slow, and how
 * soon after it recovered it had traffic back (half its fair share over one second).
 */
import type { BenchContext, Figures, ScenarioResult } from './context.js';
import { fig, round } from './context.js';
import { runLoad } from './driver.js';
import { controlMock, eachStrategy, type FleetBackend, startFleet } from './fleet.js';
import type { RequestRecord } from './record.js';
import { ROUTING_DEFAULTS, type RoutingOptions } from './routing-options.js';
import { percentile } from './stats-math.js';
import { fixedSource } from './workload.js';

const UPSTREAM_MODEL = 'fleet-llama';
const DEFAULT_STRATEGIES = ['weighted', 'latency'];
const MOCK_TTFT_MS = 40;
const MOCK_TOKENS_PER_SECOND = 200;
const ANSWER_TOKENS = 8;
/** The acceptance's thresholds: ≥ 80 % avoid the slow backend; traffic back = half its fair share in a second. */
export const AVOID_SHARE = 0.8;
const BACK_SHARE = 0.5;
const WINDOW_MS = 1000;
/** The acceptance: ≥ 80 % avoid the slow backend within 5 s of the slowdown. */
const AVOID_WITHIN_MS = 5000;
const STEP_MS = 100;

/** When the slow phase starts and ends, as shares of the run: enough before to warm, enough after to recover. */
const SLOW_FROM = 0.2;
const SLOW_UNTIL = 0.5;
/** Below this, the 5 s and 10 s the acceptance reads do not fit in the phases. */
const ACCEPTANCE_MS = 30_000;

/** Share of the requests sent in [from, to) that went to `backend`; undefined when none were sent. */
function shareTo(records: readonly RequestRecord[], backend: string, from: number, to: number): number | undefined {
  let n = 0;
  let k = 0;
  for (const r of records) {
    if (r.sentAt < from || r.sentAt >= to || !r.ok) continue;
    n++;
    if (r.backend === backend) k++;
  }
  return n ? k / n : undefined;
}

/** ms after `t0` from which every one-second window until `t1` had at least AVOID_SHARE avoiding `slow`; null if never. */
export function avoidAfter(records: readonly RequestRecord[], slow: string, t0: number, t1: number): number | null {
  let since: number | null = null;
  for (let u = t0; u + WINDOW_MS <= t1; u += STEP_MS) {
    const s = shareTo(records, slow, u, u + WINDOW_MS);
    const avoided = s === undefined || 1 - s >= AVOID_SHARE;
    if (!avoided) since = null;
    else since ??= u - t0;
  }
  return since;
}

/** ms after `t1` until a one-second window ending then gave `slow` half its fair share; null if never. */
export function backAfter(records: readonly RequestRecord[], slow: string, t1: number, end: number, fair: number): number | null {
  for (let u = t1; u + WINDOW_MS <= end; u += STEP_MS) {
    const s = shareTo(records, slow, u, u + WINDOW_MS);
    if (s !== undefined && s >= BACK_SHARE * fair) return u + WINDOW_MS - t1;
  }
  return null;
}

interface StrategyRun {
  strategy: string;
  records: RequestRecord[];
  t0: number;
  t1: number;
  end: number;
}

async function runStrategy(ctx: BenchContext, o: RoutingOptions, strategy: string): Promise<StrategyRun> {
  const backends: FleetBackend[] = Array.from({ length: o.backends }, (_, i) => ({
    name: `replica-${i + 1}`,
    ttftMs: MOCK_TTFT_MS,
    tokensPerSecond: MOCK_TOKENS_PER_SECOND,
  }));
  const fleet = await startFleet({
    model: ctx.model,
    upstreamModel: UPSTREAM_MODEL,
    strategy,
    backends,
    targets: backends.map((b) => ({ backend: b.name })),
  });
  const slowUrl = fleet.target.mocks['replica-1']!;
  const timers: NodeJS.Timeout[] = [];
  try {
    const connections = Math.max(1, Math.min(ctx.connections, 16));
    const d = ctx.durationMs;
    const t0 = SLOW_FROM * d;
    const t1 = SLOW_UNTIL * d;
    ctx.progress(`latency: ${strategy}: ${connections} streams; replica-1 ${o.slowdown}× slower from ${t0 / 1000}s to ${t1 / 1000}s`);
    ctx.live.begin(`latency ${strategy}`, d);
    const failures: Error[] = [];
    const at = (ms: number, body: Record<string, unknown>) =>
      timers.push(setTimeout(() => void controlMock(slowUrl, body).catch((e: Error) => failures.push(e)), ms));
    at(t0, { slowdown: o.slowdown });
    at(t1, { reset: true });
    const load = await runLoad({
      url: fleet.target.url,
      headers: {},
      source: fixedSource((i) => ({
        model: ctx.model,
        messages: [{ role: 'user', content: `latency probe ${i % 101}` }],
        max_tokens: ANSWER_TOKENS,
      })),
      stream: true,
      durationMs: d,
      connections,
      live: ctx.live,
      signal: ctx.signal,
    });
    if (failures.length) throw failures[0]!;
    return { strategy, records: load.records, t0, t1, end: d };
  } finally {
    for (const t of timers) clearTimeout(t);
    await fleet.stop();
  }
}

export async function latency(ctx: BenchContext): Promise<ScenarioResult> {
  const o = ctx.routing ?? ROUTING_DEFAULTS;
  const strategies = o.strategies ?? DEFAULT_STRATEGIES;
  const runs = await eachStrategy(ctx, strategies, (s) => runStrategy(ctx, o, s));
  const fair = 1 / o.backends;
  const figures: Figures = {};
  const lines = [
    `latency     ${o.backends} mock backends; replica-1 ${o.slowdown}× slower from ${SLOW_FROM * 100}% to ${SLOW_UNTIL * 100}% of ` +
      `${ctx.durationMs / 1000}s; fair share ${round(100 * fair, 1)}%`,
    `            ${'strategy'.padEnd(14)} ${'before'.padStart(7)} ${'while slow'.padStart(10)} ${'80% after'.padStart(9)} ` +
      `${'TTFT p50'.padStart(9)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'back after'.padStart(10)}`,
  ];
  if (ctx.durationMs < ACCEPTANCE_MS)
    lines.push(`            (a run under ${ACCEPTANCE_MS / 1000}s cannot show 5 s to avoid and 10 s to recover: use --duration 40s)`);
  for (const r of runs) {
    const k = `latency.${r.strategy}`;
    const before = shareTo(r.records, 'replica-1', 0, r.t0);
    // New requests from 5 s after the slowdown (the acceptance's window; half the slow phase in a shorter run).
    const during = shareTo(r.records, 'replica-1', r.t0 + Math.min(AVOID_WITHIN_MS, (r.t1 - r.t0) / 2), r.t1);
    const slowTtft = r.records
      .filter((x) => x.ok && x.ttft !== undefined && x.sentAt >= r.t0 && x.sentAt < r.t1)
      .map((x) => x.ttft!)
      .sort((a, b) => a - b);
    figures[`${k}.shareBefore`] = fig(before, 4);
    figures[`${k}.shareWhileSlow`] = fig(during, 4);
    figures[`${k}.avoided`] = fig(during === undefined ? undefined : 1 - during, 4);
    figures[`${k}.shareMoved`] = fig(before !== undefined && during !== undefined ? before - during : undefined, 4);
    figures[`${k}.avoidMs`] = avoidAfter(r.records, 'replica-1', r.t0, r.t1);
    figures[`${k}.recoveryMs`] = backAfter(r.records, 'replica-1', r.t1, r.end, fair);
    figures[`${k}.ttft.p50`] = fig(slowTtft.length ? percentile(slowTtft, 0.5) : undefined, 1);
    figures[`${k}.ttft.p90`] = fig(slowTtft.length ? percentile(slowTtft, 0.9) : undefined, 1);
    figures[`${k}.ttft.p99`] = fig(slowTtft.length ? percentile(slowTtft, 0.99) : undefined, 1);
    figures[`${k}.requests`] = r.records.length;
    const pct = (x: unknown) => (typeof x === 'number' ? `${round(100 * x, 1)}%` : 'n/a');
    const ms = (x: unknown) => (typeof x === 'number' ? `${round(x / 1000, 1)}s` : 'never');
    lines.push(
      `            ${r.strategy.padEnd(14)} ${pct(before).padStart(7)} ${pct(during).padStart(10)} ${ms(figures[`${k}.avoidMs`]).padStart(9)} ` +
        `${`${figures[`${k}.ttft.p50`]}ms`.padStart(9)} ${`${figures[`${k}.ttft.p90`]}ms`.padStart(8)} ` +
        `${`${figures[`${k}.ttft.p99`]}ms`.padStart(8)} ${ms(figures[`${k}.recoveryMs`]).padStart(10)}`,
    );
  }
  return {
    figures,
    lines,
    detail: { options: o, runs: runs.map((r) => ({ strategy: r.strategy, t0: r.t0, t1: r.t1, requests: r.records.length })) },
  };
}
