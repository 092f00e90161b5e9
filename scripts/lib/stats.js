// Quantiles of samples kept in typed arrays (hundreds of thousands per run: no boxing, no copies).

/** p50, p99 and max of the first `count` values of a Float64Array (sorted in place). */
export function summary(values, count = values.length) {
  if (count === 0) return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN, count: 0 };
  const s = values.subarray(0, count).sort();
  const at = (q) => s[Math.min(count - 1, Math.floor(q * count))];
  return { p50: at(0.5), p99: at(0.99), max: s[count - 1], count };
}

export function median(xs) {
  const s = xs.filter((x) => x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
