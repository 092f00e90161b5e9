/**
 * A reload reads the JWT key set again (c277ddb) — but it joined a fetch already under way: one an unknown kid (any
 * client's token) or the routine refresh had sent before the operator took a leaked key out of the set. That fetch
 * answered the set as it was when it was asked, the reload installed it and succeeded, and the leaked key's tokens went
 * on being served as their tenant until the next refresh (5 minutes by default). A reload now reads the set anew once
 * such a fetch is over.
 */
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { chatWithBearer, jwtTenantProfile } from '../helpers/jwt-gateway.js';
import { useKeyServer } from '../helpers/key-server.js';
import { jwks, signingKey, token } from '../unit/auth/jwt-fixtures.js';

const leaked = await signingKey('es-leaked', 'ES256');
const kept = await signingKey('es-kept', 'ES256');
const stranger = await signingKey('es-stranger', 'ES256');

const { url: JWKS_URL, idp } = await useKeyServer(jwks(leaked, kept));
// A cooldown over at once: the stranger's token causes a fetch whenever it comes.
const gw = await useGateway(jwtTenantProfile('{{jwks}}', ', refetchCooldown: 100ms'), { jwks: JWKS_URL });

describe('a reload while a key-set fetch is under way', () => {
  it('reads the set again after it: a key taken out meanwhile stops verifying', async () => {
    const forged = await token(leaked);
    expect((await chatWithBearer(gw.url, forged)).status).toBe(200);
    // The refetch cooldown (100 ms) runs from the set's last fetch, at the gateway's start: until it is over, an unknown
    // kid causes no fetch (its token is refused at once) and the fetch below never came — what the test waited 15 s for
    // under Node 22, when the test body began within 100 ms of that start. The cooldown is time; so is this wait.
    await new Promise((r) => setTimeout(r, 150));
    // A client's token naming a kid nobody knows starts a fetch; the key server takes its time answering it.
    idp.delayMs = 1500;
    const before = idp.fetches;
    const strangerAsked = chatWithBearer(gw.url, await token(stranger));
    await eventually(() => idp.fetches > before);
    // The operator takes the leaked key out of the set, and reloads.
    idp.doc = JSON.stringify(jwks(kept));
    idp.delayMs = 0;
    expect((await gw.stack.reload(gw.stack.profile())).ok).toBe(true);
    // Before: 200 — the reload took the answer of the fetch asked before the key was taken out.
    expect(await chatWithBearer(gw.url, forged)).toEqual({ status: 401, auth: expect.stringContaining('unknown_kid') });
    expect((await chatWithBearer(gw.url, await token(kept))).status).toBe(200);
    expect((await strangerAsked).status).toBe(401);
  });
});
