/**
 * `limits.store.leaseTtl` is how long a concurrency slot in Redis outlives a replica that stopped renewing it, so it is
 * never 0 — which elsewhere in the profile turns a timeout off (`timeouts.request: 0s`, `clientStall: 0s`), and may be
 * meant here as "leases never expire". It validated, and every lease expired as it was taken (its score the admission's
 * own time, its key given a PEXPIRE of 0): with `modelLimits: { m: { concurrency: 1 } }` four requests in flight together
 * were all admitted (30s: one, three 429), a tenant's limit held per replica rather than across them, and each request
 * in flight renewed its lease every millisecond (~2,200 scripts in 2 s for 4 requests). From 100ms, a renewal at most
 * 30 times a second; a sub-second lease that worked before (500ms) still validates (profile review).
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';

const text = (leaseTtl: string) => `version: 1
limits: { store: { redis: "redis://127.0.0.1:6379", leaseTtl: ${leaseTtl} } }
backends:
  a: { url: "http://127.0.0.1:1" }
models:
  m: { targets: [{ backend: a }] }
`;

describe('limits.store.leaseTtl', () => {
  it.each(['0s', '0', '1ms', '99ms'])('%s is refused', (ttl) => {
    const r = parseProfile(text(ttl), 'p.yaml', {});
    expect(r.ok ? [] : r.problems.map((p) => `${p.line}:${p.col}: ${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(/^2:\d+: limits\.store\.leaseTtl: expected a lease of at least 100ms/),
    ]);
  });

  it.each([
    ['100ms', 100],
    ['500ms', 500],
    ['1s', 1000],
    ['30s', 30_000],
    ['10m', 600_000],
  ])('%s is taken', (ttl, ms) => {
    const r = parseProfile(text(ttl), 'p.yaml', {});
    expect(r.ok && r.profile.limits.store?.leaseTtl).toBe(ms);
  });
});
