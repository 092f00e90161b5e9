/**
 * Keys a JWKS answer lists that no token can be checked with: `use` other than `sig` (an encryption key), `key_ops`
 * without `verify`, an `alg` no token may be signed with (`ECDH-ES`), an RSA modulus under 2,048 bits. jose's key set never picks such a key, but the refresh counted them usable — so an answer of
 * only such keys, which any unknown-kid token could make the gateway fetch from a hostile or broken key server,
 * replaced the good set (the guard that keeps the last good keys against `{"keys": []}` let it through) and every
 * token was refused until the next fetch. Such an answer is now a failed refresh. And a SPIFFE bundle (the SPIRE
 * bundle endpoint's JWKS) marks its JWT signing keys `use: jwt-svid`, which jose refused as well: every JWT-SVID was
 * unknown_kid; those keys verify now, its `x509-svid` entries never do.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { useKeyServer } from '../../helpers/key-server.js';
import { JwksSource } from '../../../src/auth/jwks.js';
import { JwtVerifier } from '../../../src/auth/jwt.js';
import { AUDIENCE, ISSUER, jwks, signingKey, token } from './jwt-fixtures.js';

const k1 = await signingKey('k1', 'ES256');
const k2 = await signingKey('k2', 'ES256');

const config = { jwks: 'unused', issuer: ISSUER, audience: AUDIENCE, tenantClaim: 'sub' };

function withClock(url: string) {
  const clock = { t: 1_000_000 };
  const source = new JwksSource(url, { cooldownMs: 30_000, now: () => clock.t });
  afterAll(() => source.close());
  return { clock, source, verifier: new JwtVerifier(config, new Set(['acme']), source.getKey) };
}

describe('a JWKS answer whose keys no token can be checked with', () => {
  const unusable: [string, object][] = [
    ['an encryption key', { keys: [{ ...k2.jwk, use: 'enc' }] }],
    ['key_ops without verify', { keys: [{ ...k2.jwk, use: undefined, key_ops: ['encrypt'] }] }],
    ['a SPIFFE x509-svid entry', { keys: [{ ...k2.jwk, use: 'x509-svid' }] }],
    ['a key for an encryption algorithm', { keys: [{ ...k2.jwk, use: undefined, alg: 'ECDH-ES' }] }],
    ['a key for an algorithm tokens may not use', { keys: [{ ...k2.jwk, use: undefined, alg: 'ES256K' }] }],
    [
      'an RSA key under 2,048 bits (jose checks no signature with it)',
      { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256' }] },
    ],
  ];
  for (const [name, doc] of unusable) {
    it(`keeps the last good keys: ${name}`, async () => {
      const srv = await useKeyServer(jwks(k1));
      const { clock, source, verifier } = withClock(srv.url);
      await source.start();
      srv.idp.doc = JSON.stringify(doc);
      clock.t += 60_000;
      // Anyone's unknown kid brings the useless answer.
      expect(await verifier.verify(await token(await signingKey('stranger', 'ES256')))).toEqual({ ok: false, reason: 'unknown_kid' });
      expect(srv.idp.fetches).toBe(2);
      expect(source.status()).toMatchObject({ loaded: true, keys: 1, lastError: 'the JWKS document has no usable RSA, EC or OKP key' });
      expect((await verifier.verify(await token(k1))).ok).toBe(true);
    });
  }
});

describe('a SPIFFE bundle', () => {
  it("verifies a JWT-SVID with its jwt-svid key, never with an x509-svid entry's", async () => {
    const bundle = {
      spiffe_sequence: 3,
      keys: [
        { ...k2.jwk, use: 'x509-svid' },
        { ...k1.jwk, use: 'jwt-svid' },
      ],
    };
    const srv = await useKeyServer(bundle);
    const { source, verifier } = withClock(srv.url);
    await source.start();
    expect(await verifier.verify(await token(k1))).toMatchObject({ ok: true });
    expect(await verifier.verify(await token(k2))).toEqual({ ok: false, reason: 'unknown_kid' });
  });
});
