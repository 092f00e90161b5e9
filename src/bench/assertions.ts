/**
 * `--assert` expressions over the flat figures: `p99<800ms`, `truncations==0`, `split.vllm-llama-v2=5±1`,
 * `errors<0.1%`, `overhead.p50<0.5ms`, `ratelimit.ratio>=0.95`. Units: ms, s, % (a fraction figure is
 * compared as a percentage when the bound has %).
 */
import type { Figures } from './context.js';

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

const EXPR = /^\s*([A-Za-z0-9_.-]+)\s*(<=|>=|==|!=|<|>|=)\s*(-?[\d.]+)\s*(ms|s|%)?\s*(?:±\s*([\d.]+)\s*(ms|s|%)?)?\s*$/;

function scale(v: number, unit: string | undefined): number {
  return unit === 's' ? v * 1000 : v;
}

export function evaluate(expr: string, figures: Figures): Verdict {
  const m = EXPR.exec(expr);
  if (!m)
    return {
      expr,
      ok: false,
      actual: undefined,
      message: `cannot read "${expr}" (expected e.g. p99<800ms, truncations==0, split.v2=5±1, errors<0.1%)`,
    };
  const [, rawKey, op, num, unit, tol, tolUnit] = m as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
    string | undefined,
  ];
  const key = figures[rawKey] !== undefined ? rawKey : (ALIASES[rawKey] ?? rawKey);
  const actual = figures[key];
  if (actual === null) return { expr, ok: false, actual, message: `FAIL ${expr} (no samples: "${key}" was not measured in this run)` };
  if (typeof actual !== 'number')
    return {
      expr,
      ok: false,
      actual,
      message: `${expr}: no figure "${rawKey}" (measured: ${Object.keys(figures).slice(0, 12).join(', ')}…)`,
    };
  // Fractions (errors, shares) are stored as fractions; a % bound compares them as percentages.
  const value = unit === '%' && !key.startsWith('split.') ? actual * 100 : actual;
  const bound = scale(Number(num), unit);
  const t = tol === undefined ? 0 : scale(Number(tol), tolUnit ?? unit);
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
  return {
    expr,
    ok,
    actual: value,
    message: `${ok ? 'ok  ' : 'FAIL'} ${expr} (measured ${Number.isInteger(shown) ? shown : shown.toFixed(3)}${unit ?? ''})`,
  };
}
