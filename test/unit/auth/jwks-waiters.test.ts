/**
 * Tokens that miss while a key-set fetch is under way. A rotation's first token starts the one fetch its cooldown
 * allows; the tokens arriving during that fetch name the same new key and were refused unknown_kid (a 401 no client
 * retries) though the fetch brought it — they now wait for it, and cost no second fetch. Likewise a set still
 * loading at start.
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
