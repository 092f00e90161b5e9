/** Kubernetes quantities (`50Mi`, `32768`) and Gateway API durations (`1m30s`, `150ms`), read and written exactly. */
import { formatSize } from '../../core/units.js';

const QUANTITY_UNITS: Record<string, number> = {
  '': 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The form Envoy Gateway's bufferLimit admits (its CRD pattern): an integer and an optional unit. */
const QUANTITY_RE = /^([1-9][0-9]*)([KMGTPE]i|[kMGTPE])?$/;

/** Bytes, or undefined for anything but a positive whole quantity (an int-or-string value, as the CRDs allow). */
export function parseQuantity(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = QUANTITY_RE.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * QUANTITY_UNITS[m[2] ?? '']!;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The shortest exact binary quantity: 52428800 → `50Mi`, 1000 → `1000` (the profile's own size format). */
export const formatQuantity = formatSize;

/**
 * The least size Envoy Gateway's quantities take: their CRD pattern (`^[1-9]+[0-9]*…`) refuses `0`, which a profile's
 * size may be — written as it was, `kubectl apply` refused the whole policy. One byte holds no request or answer
 * either (a JSON body is at least `{}`), so it refuses what 0 does.
 */
export const MIN_QUANTITY = 1;

/** The warning for a profile size of 0 exported as MIN_QUANTITY, at the Envoy Gateway `field` it is written to. */
export function zeroSize(field: string): string {
  return (
    `0 is not a quantity Envoy Gateway's ${field} takes (the CRD admits 1 and up): exported as 1 byte, which every ` +
    'request body and answer is over too, as over 0'
  );
}

const DURATION_PART_RE = /([0-9]{1,5})(h|ms|m|s)/g;
const DURATION_RE = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const DURATION_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Milliseconds of a Gateway API duration (`^([0-9]{1,5}(h|m|s|ms)){1,4}$`), or undefined. */
export function parseGatewayDuration(v: unknown): number | undefined {
  if (typeof v !== 'string' || !DURATION_RE.test(v)) return undefined;
  let total = 0;
  for (const m of v.matchAll(DURATION_PART_RE)) total += Number(m[1]) * DURATION_MS[m[2]!]!;
  return total;
}

/**
 * A Gateway API duration for whole milliseconds: the largest units that add up exactly (90000 → `1m30s`),
 * each part within the 5 digits the pattern allows. Fractions of a millisecond are rounded up.
 */
export function formatGatewayDuration(ms: number): string {
  let rest = Math.ceil(ms);
  if (rest <= 0) return '0s';
  const parts: string[] = [];
  for (const [unit, n] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const q = Math.floor(rest / n);
    if (q > 0) parts.push(`${Math.min(q, 99_999)}${unit}`);
    rest -= q * n;
  }
  return parts.join('');
}
