/**
 * A reload while the identity provider's key server is down. The gateway keeps the last good keys when a refresh
 * fails — but a reload that changed what the verifier reads (a tenant added, a claim renamed) built a new key set
 * whose first fetch failed, and every JWT caller got 401 jwks_unavailable until the server came back and a cooldown
 * passed, though the keys had not changed. The new set starts from the old one's keys when it reads the same place.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { chatWithBearer, jwtTenantProfile } from '../helpers/jwt-gateway.js';
import { jwks, signingKey, token } from '../unit/auth/jwt-fixtures.js';
import { useKeyServer } from '../helpers/key-server.js';

const key = await signingKey('rsa-1', 'RS256');

/** The identity provider's key server, which the test takes down (503). */
const { url: JWKS_URL, idp } = await useKeyServer(jwks(key));

const gw = await useGateway(jwtTenantProfile('{{jwks}}'), { jwks: JWKS_URL });

const ask = (bearer: string) => chatWithBearer(gw.url, bearer);

describe('a reload while the key server is down', () => {
  it("keeps serving the tokens the last good keys verify (a tenant added; the keys are the provider's, unchanged)", async () => {
    const jwt = await token(key);
    expect((await ask(jwt)).status).toBe(200);
    idp.status = 503;
    const fetchesBefore = idp.fetches;
    const profile = gw.stack.profile();
    const next = { ...profile, tenants: { ...profile.tenants, globex: { ...profile.tenants!.acme!, keys: [] } } };
    expect((await gw.stack.reload(next)).ok).toBe(true);
    // The new key set did try the server (and was refused): what it serves with is the keys it had.
    expect(idp.fetches).toBeGreaterThan(fetchesBefore);
    expect(await ask(jwt)).toEqual({ status: 200, auth: null });
    expect((await ask(await token(key, { sub: 'globex' }))).status).toBe(200);
  });
});
