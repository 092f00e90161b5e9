/** JWT verification: signatures, times, issuer, audience, refused algorithms, claims → tenant, hostile tokens. */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { base64url, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { JwksSource } from '../../../src/auth/jwks.js';
import { JwtVerifier, jwtError, LEEWAY_SECONDS, looksLikeJwt, MAX_KEY_CANDIDATES, startJwtAuth } from '../../../src/auth/jwt.js';
import { allowedModels } from '../../../src/auth/jwt-claims.js';
import { AUDIENCE, ISSUER, jwks, jwksFile, now, signingKey, token } from './jwt-fixtures.js';

const rsa = await signingKey('rsa-1', 'RS256');
const ec = await signingKey('ec-1', 'ES256');
const ed = await signingKey('ed-1', 'EdDSA');
const stranger = await signingKey('rsa-1', 'RS256'); // same kid, another key: a forgery
const SECRET = 'shared-secret-of-32-bytes-length!';
// An `oct` key in the set must not make HMAC tokens acceptable.
const source = new JwksSource(jwksFile(jwks(rsa, ec, ed, { kty: 'oct', kid: 'hmac-1', k: base64url.encode(SECRET) })));
await source.start();
afterAll(() => source.close());

const config = { jwks: 'unused', issuer: ISSUER, audience: AUDIENCE, tenantClaim: 'sub', modelsClaim: 'models', userClaim: 'email' };
const verifier = new JwtVerifier(config, new Set(['acme', 'globex']), source.getKey);

function hs256(payload: object): string {
  const head = base64url.encode(JSON.stringify({ alg: 'HS256', kid: 'hmac-1', typ: 'JWT' }));
  const body = base64url.encode(JSON.stringify(payload));
  return `${head}.${body}.${createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url')}`;
}

describe('JwtVerifier', () => {
  const base = { sub: 'acme', iss: ISSUER, aud: AUDIENCE, exp: now() + 600 };
  const cases: { name: string; token: () => Promise<string> | string; want: string | object }[] = [
    { name: 'valid RS256', token: () => token(rsa), want: { tenant: 'acme' } },
    { name: 'valid ES256', token: () => token(ec, { sub: 'globex' }), want: { tenant: 'globex' } },
    { name: 'valid EdDSA', token: () => token(ed), want: { tenant: 'acme' } },
    { name: 'our audience among several', token: () => token(rsa, { aud: ['other', AUDIENCE] }), want: { tenant: 'acme' } },
    { name: 'expired', token: () => token(rsa, { exp: now() - 2 * LEEWAY_SECONDS }), want: 'expired' },
    { name: 'expired within the leeway', token: () => token(rsa, { exp: now() - LEEWAY_SECONDS / 2 }), want: { tenant: 'acme' } },
    { name: 'not yet valid', token: () => token(rsa, { nbf: now() + 5 * LEEWAY_SECONDS }), want: 'not_yet_valid' },
    { name: 'wrong issuer', token: () => token(rsa, { iss: 'https://evil.example.com/' }), want: 'wrong_issuer' },
    { name: 'no issuer', token: () => token(rsa, { iss: undefined }), want: 'missing_claim' },
    { name: 'wrong audience', token: () => token(rsa, { aud: 'someone-else' }), want: 'wrong_audience' },
    { name: 'no expiry', token: () => token(rsa, { exp: undefined }), want: 'missing_claim' },
    { name: 'no tenant claim', token: () => token(rsa, { sub: undefined }), want: 'missing_claim' },
    { name: 'a tenant nobody configured', token: () => token(rsa, { sub: 'initech' }), want: 'unknown_tenant' },
    { name: 'a tenant claim of the wrong type', token: () => token(rsa, { sub: ['acme'] as unknown as string }), want: 'invalid_claim' },
    { name: 'models as a list', token: () => token(rsa, { models: ['llama', 'bge'] }), want: { tenant: 'acme', models: ['llama', 'bge'] } },
    { name: 'models as a scope string', token: () => token(rsa, { models: 'llama bge' }), want: { models: ['llama', 'bge'] } },
    { name: 'models of the wrong type', token: () => token(rsa, { models: { all: true } }), want: 'invalid_claim' },
    { name: 'a user', token: () => token(rsa, { email: 'ann@acme.example' }), want: { tenant: 'acme', user: 'ann@acme.example' } },
    // A person's name or an internationalised address is a user, not a bad token (it was a 401 for every request).
    { name: 'a user outside ASCII', token: () => token(rsa, { email: 'José Núñez' }), want: { tenant: 'acme', user: 'José Núñez' } },
    { name: 'a user with a control character', token: () => token(rsa, { email: 'ann\u0085x' }), want: 'invalid_claim' },
    { name: 'a user with a lone surrogate', token: () => token(rsa, { email: 'ann\ud800' }), want: 'invalid_claim' },
    {
      name: 'a user that would inject a header',
      token: () => token(rsa, { email: 'ann\r\nx-aigw-tenant: globex' }),
      want: 'invalid_claim',
    },
    { name: 'alg none', token: () => new UnsecuredJWT(base).encode(), want: 'alg_not_allowed' },
    { name: 'HS256 with a key the JWKS holds', token: () => hs256(base), want: 'alg_not_allowed' },
    { name: 'a forged signature under a known kid', token: () => token(stranger), want: 'bad_signature' },
    {
      name: 'a tampered payload',
      token: async () => {
        const [h, , s] = (await token(rsa)).split('.');
        return `${h}.${base64url.encode(JSON.stringify({ ...base, sub: 'globex' }))}.${s}`;
      },
      want: 'bad_signature',
    },
    {
      name: "an embedded key in the header is not trusted (the attacker's own jwk)",
      token: async () => {
        const k = await signingKey('attacker', 'RS256');
        return new SignJWT(base).setProtectedHeader({ alg: 'RS256', kid: 'attacker', jwk: k.jwk }).sign(k.privateKey);
      },
      want: 'unknown_kid',
    },
    { name: 'not a JWT', token: () => 'sk-this-is-an-api-key', want: 'malformed' },
    { name: 'a header that is not JSON', token: () => 'eyJub3QganNvbg.eyJ9.c2ln', want: 'malformed' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const t = await c.token();
      const r = await verifier.verify(t);
      if (typeof c.want === 'string') {
        expect(r).toEqual({ ok: false, reason: c.want });
      } else {
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.identity).toMatchObject(c.want);
      }
    });
  }

  it('refuses a 1 MB token before parsing anything, and fast', async () => {
    const valid = await token(rsa);
    const huge = `${valid.split('.')[0]}.${'A'.repeat(1024 * 1024)}.${valid.split('.')[2]}`;
    const fetches = source.status().fetches;
    expect(await verifier.verify(huge)).toEqual({ ok: false, reason: 'token_too_large' });
    expect(looksLikeJwt(huge)).toBe(false);
    // Decoding 1 MB of base64 and parsing it takes milliseconds; a length check, microseconds: 1000 in well under 1 s.
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) await verifier.verify(huge);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(source.status().fetches).toBe(fetches);
  });

  it('never throws and never echoes the token, whatever the bearer string (property)', async () => {
    const valid = await token(rsa);
    const mutated = fc
      .tuple(fc.nat(valid.length - 1), fc.string({ minLength: 1, maxLength: 3 }))
      .map(([i, s]) => valid.slice(0, i) + s + valid.slice(i + 1));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), mutated), async (t) => {
        const r = await verifier.verify(t);
        if (r.ok) return; // a mutation that kept the token intact (or re-spelled base64url padding bits)
        const e = jwtError(r.reason);
        expect(e.code).toBe('invalid_api_key');
        if (t.length > 8) expect(e.message).not.toContain(t);
        expect(e.headers?.['www-authenticate']).toBe(`Bearer error="invalid_token", error_description="${r.reason}"`);
      }),
      { numRuns: 300 },
    );
  });

  it('starts from a profile block with a relative JWKS path', async () => {
    const file = jwksFile(jwks(ec));
    const auth = await startJwtAuth({ ...config, jwks: file.split('/').pop()! }, new Set(['acme']), {
      baseDir: file.slice(0, file.lastIndexOf('/')),
    });
    expect(auth.status).toMatchObject({ loaded: true, keys: 1 });
    expect((await auth.verifier.verify(await token(ec))).ok).toBe(true);
    expect(looksLikeJwt(await token(ec))).toBe(true);
    expect(looksLikeJwt('sk-acme-demo')).toBe(false);
    auth.close();
  });

  it('a token its header matches to several keys verifies against the one that signed it (a rotation, a kid reused)', async () => {
    const rotated = await signingKey('rsa-2', 'RS256');
    const reused = { ...stranger.jwk, kid: rsa.kid };
    const cases = [
      { name: 'no kid, two RSA keys', doc: jwks(rotated, rsa), kid: undefined },
      { name: 'a kid reused by another key', doc: jwks(reused, rsa), kid: rsa.kid },
      { name: 'the same key listed twice', doc: jwks(rsa, rsa), kid: rsa.kid },
    ];
    for (const c of cases) {
      const set = new JwksSource(jwksFile(c.doc));
      await set.start();
      const v = new JwtVerifier(config, new Set(['acme']), set.getKey);
      const signed = await token(rsa, {}, c.kid === undefined ? { kid: undefined } : {});
      expect((await v.verify(signed)).ok, c.name).toBe(true);
      // Matched, but signed by a key the set does not hold: a bad signature, not an unknown key.
      expect(
        await v.verify(await token(await signingKey(rsa.kid, 'RS256'), {}, c.kid === undefined ? { kid: undefined } : {})),
        c.name,
      ).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
      set.close();
    }
  });

  it('tries at most MAX_KEY_CANDIDATES keys for one token (each try is a signature check a forgery buys)', async () => {
    const decoys = await Promise.all(Array.from({ length: MAX_KEY_CANDIDATES }, () => signingKey('same', 'RS256')));
    const signer = await signingKey('same', 'RS256');
    const set = new JwksSource(jwksFile(jwks(...decoys, signer)));
    await set.start();
    const v = new JwtVerifier(config, new Set(['acme']), set.getKey);
    expect(await v.verify(await token(signer))).toEqual({ ok: false, reason: 'bad_signature' });
    const early = new JwksSource(jwksFile(jwks(signer, ...decoys)));
    await early.start();
    expect((await new JwtVerifier(config, new Set(['acme']), early.getKey).verify(await token(signer))).ok).toBe(true);
    set.close();
    early.close();
  });

  it('a key that cannot check the token (legacy 1,024-bit RSA) or does not import passes to the next, in any order', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const legacy = { ...publicKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig' };
    const broken = Array.from({ length: 50 }, () => ({ kty: 'RSA', e: 'AQAB', alg: 'RS256' }));
    const signer = await signingKey('current', 'RS256');
    for (const keys of [
      [legacy, ...broken, signer.jwk],
      [signer.jwk, legacy, ...broken],
    ]) {
      const set = new JwksSource(jwksFile({ keys }));
      // Keys that do not import are left out when the set loads, not tried on every token.
      expect((await set.start()).keys).toBeLessThanOrEqual(2);
      const v = new JwtVerifier(config, new Set(['acme']), set.getKey);
      expect((await v.verify(await token(signer, {}, { kid: undefined }))).ok).toBe(true);
      set.close();
    }
  });

  it('a critical header extension it does not understand makes the token malformed, not a refused algorithm', async () => {
    // jose refuses to sign such a header, so it is signed here as an issuer that knows the extension would.
    const head = base64url.encode(JSON.stringify({ alg: 'RS256', kid: rsa.kid, crit: ['x-foo'], 'x-foo': 1 }));
    const body = base64url.encode(JSON.stringify(base));
    const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', rsa.privateKey, new TextEncoder().encode(`${head}.${body}`));
    expect(await verifier.verify(`${head}.${body}.${base64url.encode(new Uint8Array(sig))}`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('narrows the tenant allow-list by the token', () => {
    expect(allowedModels(['a', 'b'], ['b', 'c'])).toEqual(['b']);
    expect(allowedModels(undefined, ['c'])).toEqual(['c']);
    expect(allowedModels(['a'], undefined)).toEqual(['a']);
    expect(allowedModels(undefined, undefined)).toBeUndefined();
  });
});
