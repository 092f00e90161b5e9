/**
 * The unknown-kid cooldown on a wall clock stepped back: JwksSource measured it with Date.now(), so after a step back
 * of an hour (an NTP correction, a VM restored from a snapshot) now − lastAttempt stayed negative for that hour, and a
 * rotated key was not fetched for any token until the clock caught up (or the routine refresh ran) — every caller
 * signed with the new key refused 401 unknown_kid. The cooldown is measured on the monotonic clock (core/clock.ts).
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JwksSource } from '../../../src/auth/jwks.js';
import { JwtVerifier } from '../../../src/auth/jwt.js';
import { AUDIENCE, ISSUER, jwks, jwksFile, signingKey, token } from './jwt-fixtures.js';

const config = { jwks: 'unused', issuer: ISSUER, audience: AUDIENCE, tenantClaim: 'sub' };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the JWKS refetch cooldown', () => {
  it('lets a rotated kid be fetched after the wall clock steps back an hour', async () => {
    const k1 = await signingKey('k1', 'ES256');
    const k2 = await signingKey('k2', 'ES256');
    const file = jwksFile(jwks(k1));
    // The wall clock as the process reads it, stepped back by `step` ms (tokens are still judged by jose's `new Date()`).
    const wall = Date.now;
    let step = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => wall() - step);
    // A cooldown over at once: only the clock step can hold the fetch back. No routine refresh during the test.
    const source = new JwksSource(file, { cooldownMs: 0, refreshIntervalMs: 3_600_000 });
    try {
      expect((await source.start()).loaded).toBe(true);
      const verifier = new JwtVerifier(config, new Set(['acme']), source.getKey);
      const signedByK2 = await token(k2);
      writeFileSync(file, JSON.stringify(jwks(k1, k2)));
      // An NTP correction takes the wall clock back an hour.
      step = 3_600_000;
      // Before: { ok: false, reason: 'unknown_kid' }, and the file was not read again.
      expect(await verifier.verify(signedByK2)).toMatchObject({ ok: true, identity: { tenant: 'acme' } });
      expect(source.status().fetches).toBe(2);
    } finally {
      source.close();
    }
  });
});
