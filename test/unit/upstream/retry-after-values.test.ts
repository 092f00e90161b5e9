/**
 * A backend's `retry-after` as RFC 9110 §10.2.3 has it: delay-seconds or an HTTP-date, anything else ignored (the
 * revisit backoff then applies, attempt-policy.ts). V8's Date.parse reads far more than HTTP-dates: `-1` was the year
 * 2001, `5, 10` May 10 2001 — a date past, so a wait of 0, "the backend's word" — and the plan came back to an
 * overloaded backend at once, without its backoff; `3600.` was the year 3600.
 */
import { describe, expect, it } from 'vitest';
import { backendRetryAfterMs, retryAfterMs } from '../../../src/upstream/classify.js';

const NOW = Date.parse('Mon, 07 Dec 2026 12:00:00 GMT');

describe('values that are neither delay-seconds nor an HTTP-date are no wait', () => {
  it.each(['-1', '+5', '5, 10', '2.', '3600.', '10 20', '0x10', '1e3', ''])('%j', (v) => {
    expect(retryAfterMs(v, NOW)).toBeUndefined();
    expect(backendRetryAfterMs({ 'retry-after': v }, NOW)).toBeUndefined();
  });
});

describe('delay-seconds and HTTP-dates are read', () => {
  it.each([
    ['0', 0],
    ['5', 5000],
    [' 7 ', 7000],
    ['1.5', 1500],
    ['Mon, 07 Dec 2026 12:00:30 GMT', 30_000],
    ['Monday, 07-Dec-26 12:00:30 GMT', 30_000],
    ['Mon, 07 Dec 2026 11:00:00 GMT', 0],
  ] as const)('%j → %i ms', (v, ms) => {
    expect(retryAfterMs(v, NOW)).toBe(ms);
  });
});
