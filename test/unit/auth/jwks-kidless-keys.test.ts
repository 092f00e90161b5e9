/**
 * A key set whose keys name no `kid` (a JWKS made from a PEM, a single-key set) and tokens that name one (minting
 * libraries set it, often the key's thumbprint): jose matches a token's kid only to a key of that kid, so every such
 * token was refused unknown_kid — and each cooldown one of them fetched the set again — where Envoy's jwt_authn
 * (jwt_verify_lib) tries a key without a kid for any token, as RFC 7517 leaves `kid` optional. Such a key is now
 * tried once the kid is still unknown after the fetch its cooldown allows; a key that names another kid never is.
 */
import type { JWK } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { useKeyServer } from '../../helpers/key-server.js';
import { JwksSource } from '../../../src/auth/jwks.js';
import { JwtVerifier } from '../../../src/auth/jwt.js';
import { AUDIENCE, ISSUER, jwks, signingKey, token } from './jwt-fixtures.js';

const signer = await signingKey('thumbprint-1', 'ES256');
const other = await signingKey('k-other', 'ES256');
const withoutKid = (jwk: JWK): JWK => {
  const { kid: _kid, ...rest } = jwk;
  return rest;
};

const config = { jwks: 'unused', issuer: ISSUER, audience: AUDIENCE, tenantClaim: 'sub' };

async function verifierFor(doc: object) {
  const srv = await useKeyServer(doc);
  const source = new JwksSource(srv.url, { cooldownMs: 30_000 });
  afterAll(() => source.close());
  await source.start();
  return { srv, verifier: new JwtVerifier(config, new Set(['acme']), source.getKey) };
}

describe('a key that names no kid', () => {
  it("verifies a token naming a kid, with no more than the cooldown's one fetch", async () => {
    const { srv, verifier } = await verifierFor({ keys: [withoutKid(signer.jwk)] });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await verifier.verify(await token(signer)));
    expect(results.map((r) => (r.ok ? r.identity.tenant : r.reason))).toEqual(Array(5).fill('acme'));
    expect(srv.idp.fetches).toBeLessThanOrEqual(2);
  });

  it('is tried beside keys that name theirs, and a forged token still fails its signature', async () => {
    const { verifier } = await verifierFor({ keys: [other.jwk, withoutKid(signer.jwk)] });
    expect(await verifier.verify(await token(signer))).toMatchObject({ ok: true });
    const forger = await signingKey('thumbprint-1', 'ES256');
    expect(await verifier.verify(await token(forger))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('a key naming another kid is not tried for the token (as before)', async () => {
    const { verifier } = await verifierFor(jwks(other));
    const signedByOther = await signingKey('thumbprint-1', 'ES256');
    signedByOther.privateKey = other.privateKey;
    expect(await verifier.verify(await token(signedByOther))).toEqual({ ok: false, reason: 'unknown_kid' });
  });
});
