/**
 * A JWKS document that begins with a byte-order mark (a file saved by a Windows editor, a server that writes one):
 * JSON.parse refuses it, so no key loaded and every token was refused jwks_unavailable — where WHATWG's `json()`,
 * which jose's own remote key set and browsers read a JWKS with, skips the mark. The mark is skipped, from a file
 * and from a key server alike.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { JwksSource } from '../../../src/auth/jwks.js';
import { JwtVerifier } from '../../../src/auth/jwt.js';
import { AUDIENCE, ISSUER, jwks, jwksFile, signingKey, token } from './jwt-fixtures.js';

const k1 = await signingKey('k1', 'ES256');
const config = { jwks: 'unused', issuer: ISSUER, audience: AUDIENCE, tenantClaim: 'sub' };
const withMark = `\uFEFF${JSON.stringify(jwks(k1))}`;

async function verifies(location: string): Promise<boolean> {
  const source = new JwksSource(location);
  afterAll(() => source.close());
  expect(await source.start()).toMatchObject({ loaded: true, keys: 1, lastError: undefined });
  return (await new JwtVerifier(config, new Set(['acme']), source.getKey).verify(await token(k1))).ok;
}

describe('a JWKS document with a byte-order mark', () => {
  it('is read from a file', async () => {
    const file = jwksFile({});
    writeFileSync(file, withMark);
    expect(await verifies(file)).toBe(true);
  });

  it('is read from a key server', async () => {
    const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(withMark));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    afterAll(() => {
      server.closeAllConnections();
      server.close();
    });
    expect(await verifies(`http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`)).toBe(true);
  });
});
