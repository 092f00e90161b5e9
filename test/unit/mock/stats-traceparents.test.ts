/** /mock/stats keeps the traceparent headers a mock received: the last 256, each cut to 128 characters. */
import { describe, expect, it } from 'vitest';
import { MockStats } from '../../../src/mock/stats.js';

describe('MockStats traceparents', () => {
  it('keeps a bounded list of the most recent values, cut, and forgets them on reset', () => {
    const s = new MockStats();
    s.request('/v1/chat/completions');
    for (let i = 0; i < 300; i++) s.request('/v1/chat/completions', `00-${String(i).padStart(32, '0')}-${'1'.repeat(16)}-01`);
    s.request('/v1/chat/completions', 'x'.repeat(10_000));
    const json = s.toJSON() as { traceparents: string[] };
    expect(json.traceparents).toHaveLength(256);
    expect(json.traceparents[0]).toContain(String(45).padStart(32, '0'));
    expect(json.traceparents.at(-1)).toBe('x'.repeat(128));
    s.reset();
    expect((s.toJSON() as { traceparents: string[] }).traceparents).toEqual([]);
  });
});
