/** The bench's outputs: the --json document (shape documented in the README, kept stable) and --compare. */
import { cpus } from 'node:os';
import { printable } from '../core/printable.js';
import { z } from 'zod';
import type { Verdict } from './assertions.js';
import type { BenchContext, Figures, ScenarioResult } from './context.js';
import { describeSlo } from './slo.js';

export interface BenchReport {
  version: 1;
  env: {
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    target: string;
    model: string;
    startedAt: string;
    durationMs: number;
    connections: number;
    /** Open loop (req/s) or null for the closed loop. */
    rate?: number | null;
    burstiness?: number;
    workload?: string | null;
    slo?: string | null;
  };
  scenarios: Record<string, ScenarioResult>;
  figures: Figures;
  /** What the bench learnt on the way (rate limits it paced itself under). */
  notices?: string[];
  assertions: Verdict[];
  /**
   * Set when the run was interrupted (Ctrl-C): the scenario it stopped in (its figures cover what ran; absent
   * when none had started), and those never run.
   */
  interrupted?: { during?: string; skipped: string[] };
  /** The scenarios stopped at their time budget (run.ts), with it: their figures pass no assertion. */
  cutByBudget?: { scenario: string; budgetMs: number }[];
}

export function environment(ctx: BenchContext): BenchReport['env'] {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '',
    target: ctx.target.url,
    model: ctx.model,
    startedAt: new Date().toISOString(),
    durationMs: ctx.durationMs,
    connections: ctx.connections,
    rate: ctx.rate ?? null,
    burstiness: ctx.burstiness,
    workload: ctx.workload?.describe ?? null,
    slo: ctx.slo ? describeSlo(ctx.slo) : null,
  };
}

/** What an interrupted run covers, in words; undefined for a whole run. */
export function interruption(r: BenchReport): string | undefined {
  const cut = r.interrupted;
  if (!cut) return undefined;
  // Names as a report file holds them: printable, whoever wrote the file.
  const skipped = cut.skipped.length ? `; not run: ${cut.skipped.map((s) => printable(s, 64)).join(', ')}` : '';
  if (cut.during === undefined) return `interrupted before the first scenario${skipped}`;
  return `interrupted during ${printable(cut.during, 64)}: its figures cover what ran before the signal${skipped}`;
}

/**
 * Figures where bigger is better; for every other numeric figure, smaller is better. The sizes sweep proves, the
 * routing scenarios' savings and avoidance, split's stickiness, stream's completed count and the size long's first cut
 * came at are bigger-is-better too: read the other way, the largest answer passing falling from 64 MiB to 1 MiB (a 1 MiB
 * buffer now cutting) was an improvement, and `--compare` passed it, while more streams completed was a regression.
 */
const HIGHER_IS_BETTER =
  /rps|ratio|fidelity|faithful|conformance|tokensPerSecond|honest|_throughput|goodput|completed$|saturationRate|maxGoodput|\.p$|^sweep\.\w+Bytes$|\.saving$|\.hitRate$|[sS]aved(Tokens)?$|\.avoided$|\.shareMoved$|\.stickiness$|^stream\.count$|^long\.truncatedAt$/;

/**
 * Figures whose ideal is 1, worse the further from it either way: ratelimit's ratio, what a window admitted over the limit
 * (above it the limit was not enforced, below it the key got less than it pays for). Read as bigger-is-better (it
 * matched `ratio`, meant for overhead.ratio), a ratio going from 0.97 to 3 — a gateway that stopped enforcing its
 * limit — was an improvement, and `--compare` passed it. Worse when the distance grew by more than the threshold.
 */
const IDEAL_ONE = /^ratelimit\.ratio$/;

/**
 * Shares (context.ts share): kept exact near 0 and 1, so an `--assert errors==0` sees one failure in 300,000. A
 * comparison does not: from a baseline of 0 any change is infinite, and one stray event in 50,000 (stream.heldShare's
 * events held ≥ 20 ms: scheduling noise) failed `--compare` against a clean run. Moves under a ten-thousandth, what
 * these figures' rounding hid before, are no change here.
 */
const SHARE =
  /^(throughput\.errors|stream\.faithful|stream\.heldShare|ratelimit\.rejectRate|ratelimit\.retryAfterHonest|split\.stickiness)$/;
const SHARE_NOISE = 1e-4;

/**
 * Counts and settings, with no better way to move: shown, never a regression. Read as smaller-is-better, a run that got 20 %
 * more requests through in the same --duration (`throughput.requests`, `split.requests`) failed `--compare`, as did a
 * backend's share moving by noise (`split.b` 10 → 12 of a 90/10 split). Their verdicts are their scenario's own figures:
 * rps, split.p, accounting.disagreement, ratelimit.ratio.
 */
const NEUTRAL =
  /^(throughput\.requests|split\.requests|long\.cases|accounting\.(requested|client|mock|gateway)|ratelimit\.(limit|windowMs|admittedPerWindow)|ramp\.steps)$/;
const SPLIT_VERDICTS = /^split\.(p|gatewayDisagreement|stickiness)$/;
/**
 * `split.p` is a chi-square p-value: uniform between 0 and 1 from run to run for a gateway that splits right, so two runs of
 * it read as bigger-is-better failed `--compare` about half the time. Its verdict is the split line's — the split matches
 * the weights when p > 0.01 — and its regression is that verdict lost.
 */
const SPLIT_MATCHES = 0.01;
/** A backend's share (`split.NAME`, its `.ciLow`, `.ciHigh`): whether it is right is split.p's to say. */
const backendShare = (key: string) => key.startsWith('split.') && !SPLIT_VERDICTS.test(key) && key !== 'split.requests';
const neutral = (key: string) => NEUTRAL.test(key) || backendShare(key);

export interface Delta {
  key: string;
  before: number;
  after: number;
  /** Relative change; Infinity when the figure was 0 before. */
  change: number;
  worse: boolean;
}

/** Whether the figure is one of a scenario the run cut at its time budget (its figures cover a part of what it is about). */
function cutFigure(r: BenchReport, key: string): boolean {
  return (r.cutByBudget ?? []).some((c) => Object.hasOwn(r.scenarios[c.scenario]?.figures ?? {}, key));
}

export function deltas(a: BenchReport, b: BenchReport, threshold = 0.1): Delta[] {
  const out: Delta[] = [];
  for (const key of Object.keys({ ...a.figures, ...b.figures }).sort()) {
    // A scenario cut by its budget measured a part: no change to read from it (the after run's is not measured: unmeasured).
    if (cutFigure(a, key) || cutFigure(b, key)) continue;
    const x = a.figures[key];
    const y = b.figures[key];
    if (typeof x !== 'number' || typeof y !== 'number') continue;
    const change = x === 0 ? (y === 0 ? 0 : Number.POSITIVE_INFINITY) : (y - x) / Math.abs(x);
    const worse =
      key === 'split.p'
        ? x > SPLIT_MATCHES && !(y > SPLIT_MATCHES)
        : neutral(key) || (SHARE.test(key) && Math.abs(y - x) < SHARE_NOISE)
          ? false
          : IDEAL_ONE.test(key)
            ? Math.abs(y - 1) - Math.abs(x - 1) > threshold
            : HIGHER_IS_BETTER.test(key)
              ? change < -threshold
              : change > threshold;
    out.push({ key, before: x, after: y, change, worse });
  }
  return out;
}

export function compare(a: BenchReport, b: BenchReport, threshold = 0.1): { lines: string[]; regressions: number; deltas: Delta[] } {
  const ds = deltas(a, b, threshold);
  // Whatever wrote the files: their text reaches the terminal printable (no escape sequence, no forged line).
  const run = (r: BenchReport) => `${printable(r.env.startedAt, 64)} (${printable(r.env.target, 200)})`;
  const lines = [`comparing ${run(a)} → ${run(b)}`];
  for (const [which, r] of [
    ['before', a],
    ['after', b],
  ] as const) {
    const cut = interruption(r);
    if (cut) lines.push(`  the ${which} run was ${cut}`);
    for (const c of r.cutByBudget ?? [])
      lines.push(
        `  the ${which} run's ${printable(c.scenario, 64)} was cut by its time budget of ${c.budgetMs / 1000}s: its figures are not compared`,
      );
  }
  for (const d of ds) {
    const shown = Number.isFinite(d.change) ? `${d.change >= 0 ? '+' : ''}${(d.change * 100).toFixed(1)}%` : 'new';
    const flag = d.worse ? 'REGRESSION' : '          ';
    lines.push(
      `  ${flag} ${printable(d.key, 120).padEnd(34)} ${String(d.before).padStart(12)} → ${String(d.after).padStart(12)}  ${shown}`,
    );
  }
  const gone = unmeasured(a, b);
  for (const key of gone) {
    lines.push(`  REGRESSION ${printable(key, 120).padEnd(34)} ${String(a.figures[key]).padStart(12)} → ${'not measured'.padStart(12)}`);
  }
  const regressions = ds.filter((d) => d.worse).length + gone.length;
  lines.push(`${regressions} regression${regressions === 1 ? '' : 's'} beyond ${threshold * 100}%`);
  return { lines, regressions, deltas: ds };
}

/**
 * Figures the before run measured that the after run, running their scenario again, did not (missing or null: no
 * answer to measure, no weights, the target's stats unreadable). Skipped, a comparison in CI passed a run whose
 * `ratelimit.ratio` or `split.p` was never measured as one that held it; a scenario the after run did not run is
 * no figure's regression.
 */
export function unmeasured(a: BenchReport, b: BenchReport): string[] {
  const gone: string[] = [];
  for (const key of Object.keys(a.figures).sort()) {
    const dot = key.indexOf('.');
    if (typeof a.figures[key] !== 'number' || dot < 0 || !Object.hasOwn(b.scenarios, key.slice(0, dot)) || cutFigure(a, key)) continue;
    // A backend's share (and its interval) is listed only for a backend that answered or has a weight: one gone — the stray
    // `split.unknown` or `split.c` of a gateway since fixed — is no verdict lost (split.p says whether the split is right).
    if (backendShare(key)) continue;
    // Cut by its budget, the after run's scenario did not measure what the before run did.
    const after = Object.hasOwn(b.figures, key) && !cutFigure(b, key) ? b.figures[key] : undefined;
    // long.truncatedAt null is measured: nothing was cut, its best (a cut that appears is long.truncations' regression).
    if (after === null && key === 'long.truncatedAt') continue;
    if (after === undefined || after === null) gone.push(key);
  }
  return gone;
}

const Figure = z.union([z.number(), z.string(), z.boolean(), z.null()]);

/** What --compare accepts from a file: the parts it reads are checked, the rest passes as it is. */
const ReportFile = z.looseObject({
  version: z.literal(1),
  // Every field the HTML page shows: an object there ({"toString": 1}) threw 'Cannot convert object to primitive value'
  // as the page was drawn, and no page was written.
  env: z.looseObject({
    target: z.string(),
    model: z.string(),
    startedAt: z.string(),
    node: z.string().optional(),
    platform: z.string().optional(),
    cpus: z.number().optional(),
    cpuModel: z.string().optional(),
    durationMs: z.number().nullable().optional(),
    connections: z.number().optional(),
    rate: z.number().nullable().optional(),
    burstiness: z.number().optional(),
    workload: z.string().nullable().optional(),
    slo: z.string().nullable().optional(),
  }),
  scenarios: z.record(z.string(), z.looseObject({ figures: z.record(z.string(), Figure), lines: z.array(z.string()) })),
  figures: z.record(z.string(), Figure),
  notices: z.array(z.string()).optional(),
  assertions: z.array(z.looseObject({ expr: z.string(), ok: z.boolean(), message: z.string() })),
  interrupted: z.object({ during: z.string().optional(), skipped: z.array(z.string()) }).optional(),
  cutByBudget: z.array(z.object({ scenario: z.string(), budgetMs: z.number() })).optional(),
});

export function parseReport(text: string): { ok: true; value: BenchReport } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `not JSON (${(e as Error).message.slice(0, 80)})` };
  }
  const r = ReportFile.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    return { ok: false, message: `not an aigw bench --json report: ${i.path.join('.') || 'the document'}: ${i.message}` };
  }
  return { ok: true, value: r.data as unknown as BenchReport };
}
