/**
 * The key server's request names its client and the JWKS media type. Without a User-Agent, a key server behind
 * Cloudflare (its Browser Integrity Check, on by default, challenges a request that names no agent) or one with
 * GitHub's rule refuses the fetch with 403: no key loaded, and every token was refused `jwks_unavailable` — where jose's
 * own remote key set, which the gateway does not use, sends `User-Agent: jose/…`. The fetch now says
 * `User-Agent: aigw/<version>` and accepts `application/jwk-set+json` (RFC 7517 §8.5) beside `application/json`.
 */
import { createServer } from 'node:http';
import { afterAll, expect, it } from 'vitest';
import { JwksSource } from '../../../src/auth/jwks.js';
import { jwks, signingKey } from './jwt-fixtures.js';

const key = await signingKey('k1', 'ES256');

it('names its agent and the JWKS media type, and a key server refusing requests without an agent serves it', async () => {
  const seen: { agent?: string; accept?: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({ agent: req.headers['user-agent'], accept: req.headers.accept });
    if (!req.headers['user-agent']) return void res.writeHead(403, { 'content-type': 'text/html' }).end('<h1>Access denied</h1>');
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(jwks(key)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const source = new JwksSource(`http://127.0.0.1:${(server.address() as { port: number }).port}/jwks`);
  afterAll(() => source.close());
  const status = await source.start();
  expect(status).toMatchObject({ loaded: true, keys: 1, lastError: undefined });
  expect(seen[0]!.agent).toMatch(/^aigw\/\S+$/);
  expect(seen[0]!.accept).toContain('application/jwk-set+json');
});
