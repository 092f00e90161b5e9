/** Sizes (`64Ki`, `8Mi`, `10MB`) and durations (`150ms`, `5s`, `2m`) as the profile and mock directives write them. */

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  K: 1e3,
  M: 1e6,
  G: 1e9,
};

/**
 * Matched against the trimmed text: with `\s*` on both sides of the optional unit, a value of spaces that is no size
 * (`1`, 200,000 spaces, `x`) was tried at every split of its spaces — 15 s of CPU for one 200 KB profile value.
 */
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([KMGT]i|[KMGT]B|[KMG]|B)?$/;

/** Bytes, or undefined when the text is not a size. Plain numbers are bytes. */
export function parseSize(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.floor(input) : undefined;
  const m = SIZE_RE.exec(input.trim());
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2] ?? ''];
  return unit === undefined ? undefined : Math.floor(Number(m[1]) * unit);
}

const DURATION_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h)\s*$/;

/** Milliseconds, or undefined when the text is not a duration. A bare 0 is allowed. */
export function parseDuration(input: string | number): number | undefined {
  if (input === 0 || input === '0') return 0;
  if (typeof input === 'number') return undefined;
  const m = DURATION_RE.exec(input);
  if (!m) return undefined;
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

/** `1048576` → `1Mi`, for messages. */
export function formatSize(bytes: number): string {
  for (const [unit, n] of [
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return String(bytes);
}
