/**
 * A key set whose keys name no `kid` (trust 150: a JWKS made from a PEM) and tokens that name one: every such token's
 * kid is unknown for good, so each cooldown the first of them fetched the set again and every token arriving while
 * that fetch was under way waited for it — a key server that hangs (a blackholed address) held every login for the
 * fetch's 5 s, every 30 s, though the key that checks them was in hand. A token a key of the set verifies now needs
 * no fetch; a token none verifies (a rotation to a new kid) still causes one.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { JWK } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { JwksSource } from '../../../src/auth/jwks.js';
import { JwtVerifier } from '../../../src/auth/jwt.js';
import { AUDIENCE, ISSUER, signingKey, token } from './jwt-fixtures.js';

const signer = await signingKey('thumbprint-1', 'ES256');
const rotated = await signingKey('k-rotated', 'ES256');
const withoutKid = (jwk: JWK): JWK => {
  const { kid: _kid, ...rest } = jwk;
  return rest;
};

/** A key server that answers `doc` until told to hang: then it holds every request, unanswered. */
async function keyServer(doc: object) {
  const state = { doc: JSON.stringify(doc), hang: false, fetches: 0 };
  const held: ServerResponse[] = [];
  const server = createServer((_req, res) => {
    state.fetches++;
    if (state.hang) return void held.push(res);
    res.writeHead(200, { 'content-type': 'application/json' }).end(state.doc);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`, state };
}

const config = { jwks: 'unused', issuer: ISSUER, audience: AUDIENCE, tenantClaim: 'sub' };

async function setup(doc: object) {
  const srv = await keyServer(doc);
  const clock = { t: 1_000_000 };
  const source = new JwksSource(srv.url, { cooldownMs: 30_000, timeoutMs: 3000, now: () => clock.t });
  afterAll(() => source.close());
  await source.start();
  return { srv, clock, source, verifier: new JwtVerifier(config, new Set(['acme']), source.getKey) };
}

describe('a token a kid-less key of the set verifies', () => {
  it('is verified without a fetch, past the cooldown and with the key server hanging', async () => {
    const { srv, clock, verifier } = await setup({ keys: [withoutKid(signer.jwk)] });
    expect(srv.state.fetches).toBe(1);
    // Past the cooldown, the key server now silent (down behind a firewall): the tokens' key is in hand all the same.
    clock.t += 60_000;
    srv.state.hang = true;
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 20 }, async () => verifier.verify(await token(signer))));
    const ms = performance.now() - started;
    expect(results.map((r) => (r.ok ? r.identity.tenant : r.reason))).toEqual(Array(20).fill('acme'));
    expect(srv.state.fetches).toBe(1);
    expect(ms).toBeLessThan(1500);
    // And a forgery naming the same kid still fails its signature, fetching nothing either.
    const forger = await signingKey('thumbprint-1', 'ES256');
    expect(await verifier.verify(await token(forger))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('a token no key of the set verifies still fetches it: a rotation to a new kid is found', async () => {
    const { srv, clock, verifier } = await setup({ keys: [withoutKid(signer.jwk)] });
    srv.state.doc = JSON.stringify({ keys: [withoutKid(signer.jwk), rotated.jwk] });
    clock.t += 60_000;
    expect(await verifier.verify(await token(rotated))).toMatchObject({ ok: true });
    expect(srv.state.fetches).toBe(2);
    expect(await verifier.verify(await token(signer))).toMatchObject({ ok: true });
    expect(srv.state.fetches).toBe(2);
  });
});
