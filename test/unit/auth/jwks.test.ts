/**
 * The JWKS from an http URL (a real server on 127.0.0.1): key rotation picked up on an unknown kid, refetches
 * rate-limited, the last good keys kept while the server is down, and a dead or hostile server refused cleanly.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { JwksSource, shownLocation } from '../../../src/auth/jwks.js';
import { JwtVerifier } from '../../../src/auth/jwt.js';
import { AUDIENCE, ISSUER, jwks, signingKey, token } from './jwt-fixtures.js';

const k1 = await signingKey('k1', 'ES256');
const k2 = await signingKey('k2', 'ES256');

/** A JWKS endpoint whose document, availability and silence a test controls. */
async function jwksServer(initial: object) {
  const state = { doc: JSON.stringify(initial), status: 200, hang: false, fetches: 0 };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    if (state.hang) return;
    res.writeHead(state.status, { 'content-type': 'application/json' }).end(state.doc);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`, state, server };
}

const config = { jwks: 'unused', issuer: ISSUER, audience: AUDIENCE, tenantClaim: 'sub' };

function withClock(url: string, extra: ConstructorParameters<typeof JwksSource>[1] = {}) {
  const clock = { t: 1_000_000 };
  const source = new JwksSource(url, { cooldownMs: 30_000, now: () => clock.t, ...extra });
  afterAll(() => source.close());
  return { clock, source, verifier: new JwtVerifier(config, new Set(['acme']), source.getKey) };
}

describe('JwksSource over http', () => {
  it('picks up a rotated key on an unknown kid, at most once per cooldown', async () => {
    const srv = await jwksServer(jwks(k1));
    const { clock, source, verifier } = withClock(srv.url);
    await source.start();
    expect(srv.state.fetches).toBe(1);
    expect((await verifier.verify(await token(k1))).ok).toBe(true);

    // The identity provider rotates to k2; a token signed with it arrives 10 s after the last fetch.
    srv.state.doc = JSON.stringify(jwks(k1, k2));
    clock.t += 10_000;
    expect(await verifier.verify(await token(k2))).toEqual({ ok: false, reason: 'unknown_kid' });
    expect(srv.state.fetches).toBe(1);

    // Once the cooldown is over the unknown kid triggers one refetch, and the token verifies.
    clock.t += 25_000;
    expect((await verifier.verify(await token(k2))).ok).toBe(true);
    expect(srv.state.fetches).toBe(2);

    // A burst of tokens with kids nobody knows: one fetch for all of them, then none until the cooldown ends.
    clock.t += 60_000;
    const strangers = await Promise.all(Array.from({ length: 50 }, async (_, i) => token(await signingKey(`x${i}`, 'ES256'))));
    const results = await Promise.all(strangers.map((t) => verifier.verify(t)));
    expect(results.every((r) => !r.ok && r.reason === 'unknown_kid')).toBe(true);
    expect(srv.state.fetches).toBe(3);
    for (const t of strangers.slice(0, 10)) await verifier.verify(t);
    expect(srv.state.fetches).toBe(3);
  });

  it('keeps the last good keys while the server is down', async () => {
    const srv = await jwksServer(jwks(k1));
    const { clock, source, verifier } = withClock(srv.url);
    await source.start();
    srv.state.status = 503;
    clock.t += 60_000;
    await source.refresh();
    expect(source.status()).toMatchObject({ loaded: true, keys: 1, lastError: 'JWKS server answered 503' });
    expect((await verifier.verify(await token(k1))).ok).toBe(true);
  });

  it('keeps the last good keys when the server answers a set with no usable key (empty, or only a shared secret)', async () => {
    const srv = await jwksServer(jwks(k1));
    const { clock, source, verifier } = withClock(srv.url);
    await source.start();
    for (const doc of [{ keys: [] }, { keys: [{ kty: 'oct', kid: 'k1', k: 'c2VjcmV0' }] }]) {
      srv.state.doc = JSON.stringify(doc);
      clock.t += 60_000;
      // An unknown kid from anyone causes the refetch that brings the useless answer.
      expect(await verifier.verify(await token(k2))).toEqual({ ok: false, reason: 'unknown_kid' });
      expect(source.status()).toMatchObject({ loaded: true, keys: 1, lastError: 'the JWKS document has no usable RSA, EC or OKP key' });
      expect((await verifier.verify(await token(k1))).ok).toBe(true);
    }
  });

  it("prints its location without a URL's credentials or query", () => {
    expect(shownLocation('https://user:pw-SECRET@idp.example.com/keys.json?sig=abc#x')).toBe(
      'https://[redacted]@idp.example.com/keys.json',
    );
    expect(shownLocation('https://idp.example.com:8443/keys.json')).toBe('https://idp.example.com:8443/keys.json');
    expect(shownLocation('keys/jwks.json?x')).toBe('keys/jwks.json');
    // One that does not parse as a URL (a port out of range) is printed without its credentials too.
    expect(shownLocation('https://svc:S3CRET@idp.example.com:99999/keys.json')).toBe('https://[redacted]@idp.example.com:99999/keys.json');
  });

  it('answers jwks_unavailable while no keys were ever loaded, and recovers when the server does', async () => {
    const srv = await jwksServer(jwks(k1));
    srv.state.status = 500;
    const { clock, source, verifier } = withClock(srv.url);
    expect((await source.start()).loaded).toBe(false);
    expect(await verifier.verify(await token(k1))).toEqual({ ok: false, reason: 'jwks_unavailable' });
    expect(srv.state.fetches).toBe(1);
    srv.state.status = 200;
    clock.t += 31_000;
    expect((await verifier.verify(await token(k1))).ok).toBe(true);
    expect(srv.state.fetches).toBe(2);
  });

  it('gives up on a server that never answers, within its timeout', async () => {
    const srv = await jwksServer(jwks(k1));
    srv.state.hang = true;
    const { source, verifier } = withClock(srv.url, { timeoutMs: 300 });
    const t0 = performance.now();
    expect((await source.start()).loaded).toBe(false);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(await verifier.verify(await token(k1))).toEqual({ ok: false, reason: 'jwks_unavailable' });
  });

  it('answers jwks_unavailable when nothing listens', async () => {
    const { source, verifier } = withClock('http://127.0.0.1:9/jwks.json');
    await source.start();
    expect(source.status().lastError).toMatch(/ECONNREFUSED|connect/);
    expect(await verifier.verify(await token(k1))).toEqual({ ok: false, reason: 'jwks_unavailable' });
  });

  it('refuses an oversized document and one that is not a JWKS', async () => {
    const big = await jwksServer({ keys: [{ kty: 'RSA', n: 'A'.repeat(2 * 1024 * 1024), e: 'AQAB' }] });
    const a = withClock(big.url);
    expect((await a.source.start()).lastError).toMatch(/over 1048576 bytes/);
    const odd = await jwksServer({ not: 'keys' });
    const b = withClock(odd.url);
    expect((await b.source.start()).lastError).toMatch(/not a JWKS/);
  });
});
