/**
 * A reload reads the JWT key set again, as it reads the TLS files again. A reload that left auth.jwt and the tenant
 * names as they were kept the running verifier — and with it the keys it had last read, until its next routine
 * refresh (5 minutes by default, as long as refreshInterval says): an operator who took a leaked signing key out of
 * the JWKS file and reloaded saw the reload succeed while tokens that key signed, anyone's forgeries, went on being
 * served as their tenant. The verifier is still kept (its keys stay should the read fail), its set read again.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useKeyServer } from '../helpers/key-server.js';
import { chatWithBearer, jwtTenantProfile } from '../helpers/jwt-gateway.js';
import { jwks, jwksFile, signingKey, token } from '../unit/auth/jwt-fixtures.js';

const leaked = await signingKey('rsa-leaked', 'RS256');
const kept = await signingKey('rsa-kept', 'RS256');

const file = jwksFile(jwks(leaked, kept));
const { url: JWKS_URL, idp } = await useKeyServer(jwks(leaked, kept));

const fromFile = await useGateway(jwtTenantProfile(file));
const fromUrl = await useGateway(jwtTenantProfile('{{jwks}}'), { jwks: JWKS_URL });

const ask = chatWithBearer;

describe('a reload after a signing key was taken out of the key set', () => {
  it('refuses the tokens that key signed (a JWKS file)', async () => {
    const forged = await token(leaked);
    expect((await ask(fromFile.url, forged)).status).toBe(200);
    writeFileSync(file, JSON.stringify(jwks(kept)));
    // The same profile: only the key set changed.
    expect((await fromFile.stack.reload(fromFile.stack.profile())).ok).toBe(true);
    expect(await ask(fromFile.url, forged)).toEqual({ status: 401, auth: expect.stringContaining('unknown_kid') });
    expect((await ask(fromFile.url, await token(kept))).status).toBe(200);
  });

  it('refuses the tokens that key signed (a key server)', async () => {
    const forged = await token(leaked);
    expect((await ask(fromUrl.url, forged)).status).toBe(200);
    idp.doc = JSON.stringify(jwks(kept));
    expect((await fromUrl.stack.reload(fromUrl.stack.profile())).ok).toBe(true);
    expect(await ask(fromUrl.url, forged)).toEqual({ status: 401, auth: expect.stringContaining('unknown_kid') });
    expect((await ask(fromUrl.url, await token(kept))).status).toBe(200);
  });

  it('keeps the keys it has when the key server is down at the reload', async () => {
    idp.doc = JSON.stringify(jwks(leaked, kept));
    expect((await fromUrl.stack.reload(fromUrl.stack.profile())).ok).toBe(true);
    const jwt = await token(leaked);
    expect((await ask(fromUrl.url, jwt)).status).toBe(200);
    idp.status = 503;
    expect((await fromUrl.stack.reload(fromUrl.stack.profile())).ok).toBe(true);
    expect((await ask(fromUrl.url, jwt)).status).toBe(200);
    idp.status = 200;
  });
});
