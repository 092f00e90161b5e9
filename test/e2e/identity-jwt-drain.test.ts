/**
 * The drain and a request whose JWT is still being checked — waiting for the key set's fetch that its rotated kid
 * caused (up to the fetch's 5 s). Such a request was in no list the drain waits for: the drain found nothing under
 * way and cut every connection, and the client got a reset, no answer. It is now waited for like any request in
 * flight (served when its key arrives in time) and answered 503 gateway_shutting_down at the deadline.
 */
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { jwtTenantProfile } from '../helpers/jwt-gateway.js';
import { jwks, signingKey, token } from '../unit/auth/jwt-fixtures.js';
import { useKeyServer } from '../helpers/key-server.js';

const old = await signingKey('k-old', 'ES256');
const rotated = await signingKey('k-new', 'ES256');

/** The identity provider's key server: the test rotates its set and slows its answers. */
const { url: JWKS_URL, idp } = await useKeyServer(jwks(old));

const COOLDOWN_MS = 100;

/** A gateway on the key server, and a request whose token names the rotated key — its check waits for a slow fetch. */
async function waitingOnKeys(fetchMs: number, listModels = false) {
  idp.doc = JSON.stringify(jwks(old));
  idp.delayMs = 0;
  const g = await gatewayFor(jwtTenantProfile('{{jwks}}', `, refetchCooldown: ${COOLDOWN_MS}ms`), { jwks: JWKS_URL });
  await new Promise((r) => setTimeout(r, COOLDOWN_MS + 50));
  idp.doc = JSON.stringify(jwks(old, rotated));
  idp.delayMs = fetchMs;
  const before = idp.fetches;
  const authorization = `Bearer ${await token(rotated)}`;
  const answer = listModels
    ? fetch(`${g.url}/v1/models`, { headers: { authorization } }).then(
        async (r) => ({ status: r.status, ended: 'complete', body: Buffer.from(await r.arrayBuffer()) }),
        (e: unknown) => e as Error,
      )
    : rawPost(
        `${g.url}/v1/chat/completions`,
        { model: 'llama', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 },
        { headers: { authorization } },
      ).catch((e: unknown) => e as Error);
  // The key server has the request: the gateway's check waits for its answer.
  await eventually(() => idp.fetches > before);
  return { g, answer };
}

describe('the drain, with a request whose JWT waits for the key set', () => {
  it('serves it when the keys arrive before the deadline', async () => {
    const { g, answer } = await waitingOnKeys(800);
    await g.stack.close(5000);
    const r = await answer;
    expect(r).not.toBeInstanceOf(Error);
    expect(r).toMatchObject({ status: 200, ended: 'complete' });
  });

  it.each([
    ['a chat request', false],
    ['a model list (answered once, not again when its keys arrive)', true],
  ])('answers %s 503 gateway_shutting_down at the deadline, not with a reset', async (_what, listModels) => {
    const { g, answer } = await waitingOnKeys(3000, listModels);
    const t0 = performance.now();
    await g.stack.close(200);
    expect(performance.now() - t0).toBeLessThan(2500);
    const r = await answer;
    expect(r).not.toBeInstanceOf(Error);
    if (r instanceof Error) return;
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body.toString()).error.code).toBe('gateway_shutting_down');
    // The key fetch ends after the deadline: whatever its verdict, the answered request is not answered again (a
    // handler's failure is a process warning, core/guard.ts).
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    await new Promise((res) => setTimeout(res, 3200));
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.includes('request handler failed'))).toEqual([]);
  });
});
