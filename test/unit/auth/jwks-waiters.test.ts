/**
 * Tokens that miss while a key-set fetch is under way, and a reload's new key set while the server is down. A
 * rotation's first token starts the one fetch its cooldown allows; the tokens arriving during that fetch name the
 * same new key and were refused unknown_kid (a 401 no client retries) though the fetch brought it — they now wait
 * for it, and cost no second fetch. Likewise a set still loading at start. A reload that builds a new key set (a
 * tenant added) while the server is down keeps the keys the one it replaces had, as a failed refresh does — never
 * another location's.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { JwksSource } from '../../../src/auth/jwks.js';
import { JwtVerifier } from '../../../src/auth/jwt.js';
import { AUDIENCE, ISSUER, jwks, signingKey, token } from './jwt-fixtures.js';

const k1 = await signingKey('k1', 'ES256');
const k2 = await signingKey('k2', 'ES256');

/** A JWKS endpoint that answers after `delayMs`, with the document and status the test sets; every fetch counted. */
async function slowJwks(initial: object) {
  const state = { doc: JSON.stringify(initial), status: 200, delayMs: 0, fetches: 0 };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    const { doc, status } = state;
    setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end(doc), state.delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`, state };
}

const config = { jwks: 'unused', issuer: ISSUER, audience: AUDIENCE, tenantClaim: 'sub' };

/** A source on a clock the test moves (the cooldown is 30 s of it), and a verifier reading it. */
function sourceAt(url: string) {
  const clock = { t: 1_000_000 };
  const source = new JwksSource(url, { cooldownMs: 30_000, now: () => clock.t });
  afterAll(() => source.close());
  return { clock, source, verifier: new JwtVerifier(config, new Set(['acme']), source.getKey) };
}

describe('a key-set fetch under way', () => {
  it('serves every token of a rotation that arrives during the fetch the first one started, with that one fetch', async () => {
    const srv = await slowJwks(jwks(k1));
    const { clock, source, verifier } = sourceAt(srv.url);
    await source.start();
    // The identity provider rotates to k2; its clients' tokens come together, and the set takes 300 ms to arrive.
    srv.state.doc = JSON.stringify(jwks(k1, k2));
    srv.state.delayMs = 300;
    clock.t += 60_000;
    const tokens = await Promise.all(Array.from({ length: 10 }, () => token(k2)));
    const results = await Promise.all(tokens.map((t) => verifier.verify(t)));
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(Array(10).fill('ok'));
    expect(srv.state.fetches).toBe(2);
  });

  it('serves the tokens that arrive while a set that never loaded is fetched again', async () => {
    const srv = await slowJwks(jwks(k1));
    srv.state.status = 503;
    const { clock, source, verifier } = sourceAt(srv.url);
    expect((await source.start()).loaded).toBe(false);
    srv.state.status = 200;
    srv.state.delayMs = 300;
    clock.t += 31_000;
    const tokens = await Promise.all(Array.from({ length: 10 }, () => token(k1)));
    const results = await Promise.all(tokens.map((t) => verifier.verify(t)));
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(Array(10).fill('ok'));
    expect(srv.state.fetches).toBe(2);
  });

  it('still refuses at once, with no fetch, an unknown kid while cooling down and nothing is fetched', async () => {
    const srv = await slowJwks(jwks(k1));
    const { clock, source, verifier } = sourceAt(srv.url);
    await source.start();
    clock.t += 10_000;
    expect(await verifier.verify(await token(k2))).toEqual({ ok: false, reason: 'unknown_kid' });
    expect(srv.state.fetches).toBe(1);
  });
});

describe('a key set that replaces another (a reload)', () => {
  it('keeps the keys of the set it replaces at the same location when its first fetch fails', async () => {
    const srv = await slowJwks(jwks(k1));
    const before = sourceAt(srv.url);
    await before.source.start();
    srv.state.status = 503;
    const after = sourceAt(srv.url);
    const status = await after.source.start(before.source);
    expect(status).toMatchObject({ loaded: true, keys: 1, lastError: 'JWKS server answered 503' });
    expect((await after.verifier.verify(await token(k1))).ok).toBe(true);
  });

  it('takes the fetched keys over the previous ones when its first fetch succeeds', async () => {
    const srv = await slowJwks(jwks(k1));
    const before = sourceAt(srv.url);
    await before.source.start();
    srv.state.doc = JSON.stringify(jwks(k2));
    const after = sourceAt(srv.url);
    expect(await after.source.start(before.source)).toMatchObject({ loaded: true, keys: 1, lastError: undefined });
    expect((await after.verifier.verify(await token(k2))).ok).toBe(true);
    // Within the cooldown of that fetch: k1 is not fetched back.
    expect(await after.verifier.verify(await token(k1))).toEqual({ ok: false, reason: 'unknown_kid' });
  });

  it("never keeps another location's keys", async () => {
    const a = await slowJwks(jwks(k1));
    const b = await slowJwks(jwks(k2));
    b.state.status = 503;
    const before = sourceAt(a.url);
    await before.source.start();
    const after = sourceAt(b.url);
    expect((await after.source.start(before.source)).loaded).toBe(false);
    expect(await after.verifier.verify(await token(k1))).toEqual({ ok: false, reason: 'jwks_unavailable' });
  });
});
