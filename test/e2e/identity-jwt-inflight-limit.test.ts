/**
 * `limits.maxInflight` holds for requests whose credential is checked asynchronously (a JWT). The gateway read the
 * in-flight count before the token was verified and not after: every request that arrived while verification was
 * under way — a JWT's signature check is asynchronous, and a rotated kid's tokens all wait for the one key-set fetch
 * (d280709) — saw the count as it was before any of them and was let in. Six such requests at a gateway held to
 * maxInflight 2 were all sent to the backend (review of the day's fixes).
 */
import type { ServerResponse } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';
import { AUDIENCE, ISSUER, jwks, signingKey, token } from '../unit/auth/jwt-fixtures.js';
import { useKeyServer } from '../helpers/key-server.js';

const old = await signingKey('k-old', 'ES256');
const rotated = await signingKey('k-new', 'ES256');

/** The identity provider's key server: the test rotates its set and slows its answers. */
const { url: JWKS_URL, idp } = await useKeyServer(jwks(old));

/** A backend that holds every answer until the test lets them go. */
const held: ServerResponse[] = [];
const completion = JSON.stringify({
  id: 'c',
  object: 'chat.completion',
  created: 1,
  model: 'llama',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});
const up = await useUpstream((_req, res) => held.push(res));
const release = () => {
  for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end(completion);
};
afterAll(release);

const COOLDOWN_MS = 100;
const gw = await useGateway(
  `
version: 1
limits: { maxInflight: 2 }
auth:
  jwt: { jwks: "{{jwks}}", issuer: "${ISSUER}", audience: ${AUDIENCE}, refetchCooldown: ${COOLDOWN_MS}ms }
backends:
  up: { url: "{{u}}" }
models:
  llama: { targets: [{ backend: up }] }
tenants:
  acme: { models: [llama] }
`,
  { jwks: JWKS_URL, u: up.url },
);

describe('limits.maxInflight, with requests whose JWT is being checked', () => {
  it('lets in no more than the limit when their tokens are verified together', async () => {
    // The identity provider rotates; the new key's first tokens come together, and the set takes 300 ms to arrive.
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 50));
    idp.doc = JSON.stringify(jwks(old, rotated));
    idp.delayMs = 300;
    const authorization = `Bearer ${await token(rotated)}`;
    let overloaded = 0;
    const answers = Array.from({ length: 6 }, () =>
      rawPost(
        `${gw.url}/v1/chat/completions`,
        { model: 'llama', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 },
        { headers: { authorization } },
      ).then((r) => {
        if (r.status === 503 && JSON.parse(r.body.toString()).error?.code === 'overloaded') overloaded++;
        return r;
      }),
    );
    // Every request either reached the backend or was refused.
    await eventually(() => up.seen.length + overloaded === 6, 5000);
    expect(up.seen.length).toBeLessThanOrEqual(2);
    expect(overloaded).toBeGreaterThanOrEqual(4);
    release();
    const statuses = (await Promise.all(answers)).map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(up.seen.length);
  });
});
