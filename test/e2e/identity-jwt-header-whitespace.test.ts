/**
 * A JWT whose header JSON holds whitespace (`{ "alg": "ES256", … }`, `{\n  "alg"…`: RFC 7515 takes any JSON text, and
 * jose reads it): the gateway sent a bearer credential to the JWT verifier only when it began with `eyJ`, the
 * encoding of `{"` — such a token was looked up as an API key, 401 "invalid API key", though its signature verified.
 * A bearer credential shaped as a JWT (the encoding of `{`, then three base64url parts) is verified; an API key is
 * looked up first as before.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { chatWithBearer, jwtTenantProfile } from '../helpers/jwt-gateway.js';
import { base64url } from 'jose';
import { AUDIENCE, ISSUER, jwks, jwksFile, now, signingKey } from '../unit/auth/jwt-fixtures.js';

const ec = await signingKey('ec-1', 'ES256');
const gw = await useGateway(jwtTenantProfile(jwksFile(jwks(ec))));

/** A token for acme signed by `ec` with its header written as `headerText`. */
async function signedWithHeader(headerText: string): Promise<string> {
  const head = base64url.encode(headerText);
  const body = base64url.encode(JSON.stringify({ sub: 'acme', iss: ISSUER, aud: AUDIENCE, exp: now() + 600 }));
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, ec.privateKey, new TextEncoder().encode(`${head}.${body}`));
  return `${head}.${body}.${base64url.encode(new Uint8Array(sig))}`;
}

describe('a JWT whose header JSON holds whitespace', () => {
  for (const [name, header] of [
    ['compact (as before)', '{"alg":"ES256","kid":"ec-1"}'],
    ['a space after the brace', '{ "alg": "ES256", "kid": "ec-1" }'],
    ['pretty-printed', '{\n  "alg": "ES256",\n  "kid": "ec-1"\n}'],
    ['a tab', '{\t"alg":"ES256","kid":"ec-1"}'],
  ] as const) {
    it(`is verified: ${name}`, async () => {
      expect((await chatWithBearer(gw.url, await signedWithHeader(header))).status).toBe(200);
    });
  }

  it('a forgery so written is refused as a token, not as an API key', async () => {
    const forger = await signingKey('ec-1', 'ES256');
    const head = base64url.encode('{ "alg": "ES256", "kid": "ec-1" }');
    const body = base64url.encode(JSON.stringify({ sub: 'acme', iss: ISSUER, aud: AUDIENCE, exp: now() + 600 }));
    const sig = await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      forger.privateKey,
      new TextEncoder().encode(`${head}.${body}`),
    );
    const r = await chatWithBearer(gw.url, `${head}.${body}.${base64url.encode(new Uint8Array(sig))}`);
    expect(r).toEqual({ status: 401, auth: expect.stringContaining('bad_signature') });
  });
});
