/**
 * A user claim that is there but names nobody: an empty string (Supabase writes `"email": ""` in the token of a user who
 * signed in by phone, `"phone": ""` for one by email) or JSON null (an identity provider writing every attribute of
 * its schema). It was refused as `invalid_claim` — 401 for every request of every such user, where a token without the
 * claim names no user and is served. It names no user now, as an absent claim does: no user header is forwarded, and
 * the bearer still may not name one itself. A blank or otherwise unusable name is still refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { JwksSource } from '../../../src/auth/jwks.js';
import { JwtVerifier } from '../../../src/auth/jwt.js';
import { AUDIENCE, ISSUER, jwks, jwksFile, signingKey, token } from './jwt-fixtures.js';

const key = await signingKey('k1', 'ES256');
const source = new JwksSource(jwksFile(jwks(key)));
await source.start();
afterAll(() => source.close());
const verifier = new JwtVerifier(
  { issuer: ISSUER, audience: AUDIENCE, tenantClaim: 'sub', userClaim: 'email' },
  new Set(['acme']),
  source.getKey,
);

describe('a user claim that names nobody', () => {
  const cases: { name: string; email: unknown; want: object | string }[] = [
    { name: 'an empty string (Supabase, a phone sign-in)', email: '', want: { tenant: 'acme' } },
    { name: 'null', email: null, want: { tenant: 'acme' } },
    { name: 'absent (as before)', email: undefined, want: { tenant: 'acme' } },
    { name: 'a name (as before)', email: 'ann@acme.example', want: { tenant: 'acme', user: 'ann@acme.example' } },
    { name: 'blank: still refused', email: '   ', want: 'invalid_claim' },
    { name: 'another type: still refused', email: { address: 'ann' }, want: 'invalid_claim' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await verifier.verify(await token(key, { email: c.email as string }));
      expect(r.ok ? r.identity : r.reason).toEqual(c.want);
    });
  }
});
