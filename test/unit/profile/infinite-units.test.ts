/**
 * A size or a duration is a finite number. Written with hundreds of digits (`1` and 400 zeros, then `s`), one read as
 * Infinity and validated: the admin listener's createServer then throws at a requestTimeout of Infinity (`serve` exits
 * 1 after validate said ok), a rate window of Infinity is cut into 60 buckets of Infinity, a cooldown of Infinity never
 * ends (profile review). The bench's `--duration` and the mock's delays refused it already.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';

const HUGE = `1${'0'.repeat(400)}`;

const text = (settings: string) => `version: 1
${settings}
backends:
  a: { url: http://127.0.0.1:8001 }
models:
  m: { targets: [{ backend: a }] }`;

describe('a size or duration too large to be a number', () => {
  it.each([
    ['timeouts.request', `timeouts: { request: ${HUGE}s }`, /^expected a duration such as 150ms, 5s or 2m, got "1000/],
    ['limits.rateWindow', `limits: { rateWindow: ${HUGE}ms }`, /^expected a duration such as 150ms, 5s or 2m, got "1000/],
    ['resilience.cooldown', `resilience: { cooldown: ${HUGE}h }`, /^expected a duration such as 150ms, 5s or 2m, got "1000/],
    ['limits.maxRequestBytes', `limits: { maxRequestBytes: ${HUGE}Gi }`, /^expected a size such as 512, 64Ki, 8Mi, 1Gi or 10MB, got "1000/],
  ])('is refused at %s', (path, settings, message) => {
    const r = parseProfile(text(settings), 'p.yaml', {});
    expect(r.ok ? [] : r.problems.map((p) => [p.path, p.message])).toEqual([[path, expect.stringMatching(message)]]);
  });

  it('a long but finite one still reads', () => {
    const r = parseProfile(text('timeouts: { request: 600h }\nlimits: { maxRequestBytes: 1024Gi }'), 'p.yaml', {});
    expect(r.ok && [r.profile.timeouts.request, r.profile.limits.maxRequestBytes]).toEqual([2_160_000_000, 1024 ** 4]);
  });
});
