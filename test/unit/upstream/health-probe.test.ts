/** A backend half-open after an ejection: one probe at a time, given back by its outcome or after PROBE_HOLD_MS. */
import { describe, expect, it } from 'vitest';
import { BackendHealth, PROBE_HOLD_MS } from '../../../src/upstream/health.js';

const ejectedAt = (t: number) => {
  const h = new BackendHealth({ consecutiveFailures: 1, cooldownMs: 100, maxCooldownMs: 1000 });
  expect(h.failure(t)).toBe(100);
  return h;
};

describe('the half-open probe', () => {
  it('holds the backend for one request until its outcome', () => {
    const h = ejectedAt(0);
    expect(h.available(50)).toBe(false);
    expect(h.probe(50)).toBe(0);
    expect(h.available(100)).toBe(true);
    const token = h.probe(100);
    expect(token).not.toBe(0);
    expect(h.available(101)).toBe(false);
    expect(h.probe(101)).toBe(0);
    h.probed(token);
    expect(h.available(101)).toBe(true);
  });

  it('for PROBE_HOLD_MS at most; a stale probe’s outcome does not end a newer one', () => {
    const h = ejectedAt(0);
    const first = h.probe(100);
    expect(h.available(100 + PROBE_HOLD_MS - 1)).toBe(false);
    expect(h.available(100 + PROBE_HOLD_MS)).toBe(true);
    const second = h.probe(100 + PROBE_HOLD_MS);
    h.probed(first);
    expect(h.available(101 + PROBE_HOLD_MS)).toBe(false);
    h.probed(second);
    expect(h.available(101 + PROBE_HOLD_MS)).toBe(true);
  });

  it('is no probe once a success has restored the backend, nor before any ejection', () => {
    const h = ejectedAt(0);
    h.probe(100);
    h.success(150);
    expect(h.available(151)).toBe(true);
    expect(h.probe(151)).toBe(0);
    expect(new BackendHealth({ consecutiveFailures: 3, cooldownMs: 100, maxCooldownMs: 1000 }).probe(0)).toBe(0);
  });

  it('a probe still out when a success restored the backend holds nothing after its next ejection', () => {
    const h = ejectedAt(0);
    h.probe(100); // out until 100 + PROBE_HOLD_MS, never given back
    h.success(150); // another request's answer restored the backend
    expect(h.failure(200)).toBe(100); // ejected again until 300
    expect(h.available(300)).toBe(true);
    expect(h.probe(300)).not.toBe(0);
  });
});
