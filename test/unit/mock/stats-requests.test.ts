/** /mock/stats counts requests by endpoint in a bounded table whose keys are plain data. */
import { describe, expect, it } from 'vitest';
import { MockStats, UNROUTED } from '../../../src/mock/stats.js';

describe('MockStats requests', () => {
  it('keeps at most 64 distinct keys (then counts under UNROUTED), and Object.prototype names are plain keys', () => {
    const s = new MockStats();
    for (const k of ['constructor', '__proto__', 'toString']) s.request(k);
    for (let i = 0; i < 10_000; i++) s.request(`/p${i}`);
    const { requests } = s.toJSON() as { requests: Record<string, number> };
    expect(Object.keys(requests).length).toBeLessThanOrEqual(65);
    expect(requests.constructor).toBe(1);
    expect(requests.toString).toBe(1);
    expect(Object.getOwnPropertyDescriptor(requests, '__proto__')?.value).toBe(1);
    expect(requests[UNROUTED]).toBe(10_000 - 61);
    expect(Object.values(requests).reduce((a, b) => a + b, 0)).toBe(10_003);
    s.reset();
    expect((s.toJSON() as { requests: object }).requests).toEqual({});
  });
});
