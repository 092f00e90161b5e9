/** Statistics the verdicts rest on: Wilson score intervals and a chi-square goodness-of-fit p-value. */

/** 95 % Wilson interval for a proportion of k successes in n trials. */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function logGamma(x: number): number {
  // biome-ignore lint/correctness/noPrecisionLoss: Lanczos' published coefficients, kept digit for digit
  const c = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
  let y = x;
  const tmp = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let ser = 1.000000000190015;
  for (const ci of c) ser += ci / ++y;
  // biome-ignore lint/correctness/noPrecisionLoss: as published (sqrt(2π) to the coefficients' precision)
  return -tmp + Math.log((2.5066282746310005 * ser) / x);
}

/** P(X ≥ stat) for chi-square with k degrees of freedom. */
export function chiSquareP(stat: number, k: number): number {
  if (stat <= 0) return 1;
  const a = k / 2;
  const z = stat / 2;
  let sum = 1 / a;
  let term = 1 / a;
  for (let n = 1; n < 1000; n++) {
    term *= z / (a + n);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  const lower = Math.exp(-z + a * Math.log(z) - logGamma(a)) * sum;
  // Far in the tail (a statistic past ~1,500: 4,000 answers split 50/50 against 95/5) the series overflows and
  // the factor underflows, Infinity × 0: the lower part is all of it, so p is 0, not NaN.
  return Number.isNaN(lower) ? 0 : Math.max(0, Math.min(1, 1 - lower));
}

/**
 * Chi-square statistic of observed counts against expected proportions. A count where none is expected (a backend of
 * weight 0, or one the weights do not name) is no sample of these proportions: p is 0. Left out of the sum and counted
 * among the degrees of freedom, 5 % of the answers from a weight-0 backend beside a 50/50 split passed at p = 0.29.
 * `unattributed` are observations of no category (answers that named no backend): they count in the total, so they
 * weigh against the fit, and are no category of their own.
 */
export function chiSquare(observed: readonly number[], weights: readonly number[], unattributed = 0): { stat: number; p: number } {
  const n = observed.reduce((a, b) => a + b, 0) + unattributed;
  const w = weights.reduce((a, b) => a + b, 0);
  let stat = 0;
  let cells = 0;
  let unexpected = false;
  observed.forEach((o, i) => {
    const e = (weights[i]! / w) * n;
    if (e > 0) {
      stat += (o - e) ** 2 / e;
      cells++;
    } else if (o > 0) unexpected = true;
  });
  if (unexpected) return { stat: Number.POSITIVE_INFINITY, p: 0 };
  return { stat, p: chiSquareP(stat, Math.max(1, cells - 1)) };
}

/** The summary the field reports for a latency (vLLM, GuideLLM): all in the unit of the samples. */
export interface Distribution {
  count: number;
  mean: number;
  median: number;
  std: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** Percentile by linear interpolation between closest ranks (numpy's default, as vLLM's bench uses). */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The distribution of samples, or undefined for none (callers print "no samples", never NaN). */
export function distribution(samples: readonly number[]): Distribution | undefined {
  const xs = samples.filter(Number.isFinite).sort((a, b) => a - b);
  if (!xs.length) return undefined;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return {
    count: xs.length,
    mean,
    median: percentile(xs, 0.5),
    std: Math.sqrt(variance),
    p90: percentile(xs, 0.9),
    p95: percentile(xs, 0.95),
    p99: percentile(xs, 0.99),
    max: xs.at(-1)!,
  };
}

/** At most `n` samples that keep the shape of the distribution (evenly spaced ranks), for charts. */
export function thin(samples: readonly number[], n = 400): number[] {
  const xs = samples.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length <= n) return xs;
  return Array.from({ length: n }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (n - 1))]!);
}
