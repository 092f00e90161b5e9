/**
 * `--assert` expressions over the flat figures: `p99<800ms`, `truncations==0`, `split.vllm-llama-v2=5±1`,
 * `errors<0.1%`, `overhead.p50<0.5ms`, `ratelimit.ratio>=0.95`. Units: ms, s, % (a fraction figure is
 * compared as a percentage when the bound has %). Read with the other flags (an unreadable one is a usage
 * error before anything is sent), judged against the figures once the run is over.
 */
import type { Figures } from './context.js';
import type { Parsed } from './workload.js';

export interface Verdict {
  expr: string;
  ok: boolean;
  actual: number | string | boolean | null | undefined;
  message: string;
}

/** Short names for the figures people assert on most. */
const ALIASES: Record<string, string> = {
  p50: 'throughput.p50',
  p90: 'throughput.p90',
  p99: 'throughput.p99',
  max: 'throughput.max',
  rps: 'throughput.rps',
  errors: 'throughput.errors',
  truncations: 'long.truncations',
};

/**
 * Read from the trimmed expression. Each blank run is tied to the token after it: written as `\s*(unit)?\s*(±…)?\s*$`,
 * a run of blanks could be split between three \s* in every way before the match failed — `p99<1`, 8,000 spaces and
 * an `x` took 114 s to refuse, and an argument of 128 KiB years.
 */
const EXPR = /^([A-Za-z0-9_.-]+)\s*(<=|>=|==|!=|<|>|=)\s*(-?[\d.]+)(?:\s*(ms|s|%))?(?:\s*±\s*([\d.]+)(?:\s*(ms|s|%))?)?$/;

function scale(v: number, unit: string | undefined): number {
  return unit === 's' ? v * 1000 : v;
}

/** An `--assert` expression, read: its figure, comparison and bound (time in ms, as the figures are). */
export interface Assertion {
  expr: string;
  key: string;
  op: string;
  bound: number;
  /** The bound's unit as written: how a fraction is compared (%) and how the measured value is shown. */
  unit: string | undefined;
  /** `±` tolerance, in the bound's scale. */
  tol: number | undefined;
}

const unreadable = (expr: string): { ok: false; message: string } => ({
  ok: false,
  message: `--assert: cannot read "${expr}" (expected e.g. p99<800ms, truncations==0, split.v2=5±1, errors<0.1%)`,
});

/** Reads one `--assert` expression; an unreadable one is a usage error, said before the load runs. */
export function parseAssertion(expr: string): Parsed<Assertion> {
  const m = EXPR.exec(expr.trim());
  if (!m) return unreadable(expr);
  const [, key, op, num, unit, tol, tolUnit] = m as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
    string | undefined,
  ];
  const bound = scale(Number(num), unit);
  const t = tol === undefined ? undefined : scale(Number(tol), tolUnit ?? unit);
  // The pattern lets `1.2.3` through: not a number, and a bound of NaN would fail whatever was measured. Nor a number
  // past a double's range (400 digits): a bound or tolerance of Infinity passed whatever was measured.
  if (!Number.isFinite(bound) || (t !== undefined && !Number.isFinite(t))) return unreadable(expr);
  return { ok: true, value: { expr, key, op, bound, unit, tol: t } };
}

/**
 * split's figures that are percentages already: each backend's share, its interval's ends and the gateway's
 * disagreement in points. Its p-value and stickiness are fractions like any other — read as percentages, `split.p>=1%`
 * failed every split (0.4 against 1) and `split.stickiness>=99%` every session kept.
 */
const SPLIT_FRACTIONS = new Set(['split.p', 'split.stickiness']);
const inPercent = (key: string) => key.startsWith('split.') && !SPLIT_FRACTIONS.has(key);

/** The figure an assertion reads: its name as written, else the figure its short name stands for. */
export function figureKey(a: Pick<Assertion, 'key'>, figures: Figures): string {
  return figures[a.key] !== undefined ? a.key : (ALIASES[a.key] ?? a.key);
}

export function evaluate(a: Assertion, figures: Figures): Verdict {
  const { expr, key: rawKey, op, bound, unit, tol } = a;
  const key = figureKey(a, figures);
  const actual = figures[key];
  if (actual === null) return { expr, ok: false, actual, message: `FAIL ${expr} (no samples: "${key}" was not measured in this run)` };
  if (typeof actual !== 'number')
    return {
      expr,
      ok: false,
      actual,
      message: `${expr}: no figure "${rawKey}" (measured: ${Object.keys(figures).slice(0, 12).join(', ')}…)`,
    };
  // NaN passes `!=` and fails every other comparison whatever the bound: a figure that is not a number is no sample.
  if (!Number.isFinite(actual))
    return { expr, ok: false, actual: null, message: `FAIL ${expr} (no samples: "${key}" is not a number in this run)` };
  // Fractions (errors, shares) are stored as fractions; a % bound compares them as percentages.
  const value = unit === '%' && !inPercent(key) ? actual * 100 : actual;
  const t = tol ?? 0;
  let ok: boolean;
  switch (op) {
    case '<':
      ok = value < bound;
      break;
    case '<=':
      ok = value <= bound;
      break;
    case '>':
      ok = value > bound;
      break;
    case '>=':
      ok = value >= bound;
      break;
    case '!=':
      ok = value !== bound;
      break;
    case '==':
      ok = Math.abs(value - bound) <= t;
      break;
    default:
      ok = Math.abs(value - bound) <= (tol === undefined ? 1e-9 : t);
  }
  // Time figures are in ms: shown in the bound's unit, so 1000 ms against `10s` reads `1s`, not `1000s`.
  const shown = unit === 's' ? value / 1000 : value;
  // A value under a thousandth keeps its first digits: 1 failure in 300,000 read `FAIL errors==0 (measured 0.000)`.
  const digits = Number.isInteger(shown) ? String(shown) : Math.abs(shown) < 0.001 ? shown.toPrecision(3) : shown.toFixed(3);
  return {
    expr,
    ok,
    actual: value,
    message: `${ok ? 'ok  ' : 'FAIL'} ${expr} (measured ${digits}${unit ?? ''})`,
  };
}
