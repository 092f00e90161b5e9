/**
 * JWT tenants through the gateway (issue 15): a live stack with `auth.jwt` whose key set comes from a JWKS server
 * on a real socket, and the official openai client presenting tokens as its API key. Valid tokens of each
 * algorithm, every refusal class (expired, wrong issuer, wrong audience, `none`, unknown kid, a forged signature),
 * a key rotation picked up on an unknown kid (rate-limited), a 1 MB token refused before it is read, the models
 * claim narrowing /v1/models and the 403 check, the user claim told to a backend, and API keys alongside.
 */
import { connect } from 'node:net';
import { UnsecuredJWT } from 'jose';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';
import { AUDIENCE, ISSUER, jwks, now, signingKey, token } from '../unit/auth/jwt-fixtures.js';
import { useKeyServer } from '../helpers/key-server.js';

const rsa = await signingKey('rsa-1', 'RS256');
const ec = await signingKey('ec-1', 'ES256');
const ed = await signingKey('ed-1', 'EdDSA');
const rotated = await signingKey('rsa-2', 'RS256');
const forger = await signingKey('rsa-1', 'RS256');
const KEY = 'sk-acme-CANARY-91c0';

/** The identity provider's key set, which the test rotates; every fetch is counted. */
const { url: JWKS_URL, idp } = await useKeyServer(jwks(rsa, ec, ed), '/.well-known/jwks.json');

const capture = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"id":"c","object":"chat.completion","model":"cap","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}');
});

// Long enough that a flood of 20 requests fits in one cooldown even on a loaded machine.
const COOLDOWN_MS = 1500;
const gw = await useGateway(
  `
version: 1
auth:
  jwt: { jwks: "{{jwks}}", issuer: "${ISSUER}", audience: ${AUDIENCE}, modelsClaim: models, userClaim: email, refetchCooldown: ${COOLDOWN_MS}ms }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  capture: { url: "{{capture}}", forwardIdentity: { tenantHeader: x-aigw-tenant, userHeader: x-aigw-user } }
models:
  llama: { targets: [{ backend: vllm }] }
  qwen: { targets: [{ backend: vllm }] }
  captured: { targets: [{ backend: capture }] }
tenants:
  acme: { keys: ["${KEY}"], models: [llama, qwen, captured] }
  globex: { models: [llama] }
`,
  { jwks: JWKS_URL, capture: capture.url },
);

const as = (apiKey: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 });
const ask = (apiKey: string, model = 'llama') =>
  as(apiKey).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });

/** The 401 a token gets: status, the reason class in the message and in www-authenticate, and never the token. */
async function refusal(bearer: string): Promise<{ status: number; reason: string | undefined; code: unknown; echoed: boolean }> {
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'llama', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const text = await r.text();
  const reason = /error_description="([a-z_]+)"/.exec(r.headers.get('www-authenticate') ?? '')?.[1];
  const body = JSON.parse(text) as { error: { code: unknown; message: string } };
  expect(body.error.message).toContain(reason ?? '(no reason)');
  // Any part of the token long enough to identify it (its payload or signature) counts as echoed.
  const echoed = bearer.split('.').some((part) => part.length >= 16 && text.includes(part.slice(0, 16)));
  return { status: r.status, reason, code: body.error.code, echoed };
}

describe('JWT tenants through the gateway', () => {
  it('accepts valid tokens of each asymmetric algorithm, API keys alongside', async () => {
    for (const key of [rsa, ec, ed]) expect((await ask(await token(key))).choices[0]!.message.content).toBeTruthy();
    expect((await ask(await token(rsa, { sub: 'globex' }))).object).toBe('chat.completion');
    expect((await ask(KEY)).object).toBe('chat.completion');
    const tenants = gw.eventsOf('request').map((e) => e.tenant);
    expect(tenants.slice(-5)).toEqual(['acme', 'acme', 'acme', 'globex', 'acme']);
  });

  const cases: { name: string; token: () => Promise<string> | string; reason: string }[] = [
    { name: 'expired', token: () => token(rsa, { exp: now() - 600 }), reason: 'expired' },
    { name: 'not yet valid', token: () => token(rsa, { nbf: now() + 600 }), reason: 'not_yet_valid' },
    { name: 'wrong issuer', token: () => token(rsa, { iss: 'https://evil.example/' }), reason: 'wrong_issuer' },
    { name: 'wrong audience', token: () => token(rsa, { aud: 'someone-else' }), reason: 'wrong_audience' },
    {
      name: 'the none algorithm',
      token: () => new UnsecuredJWT({ sub: 'acme', iss: ISSUER, aud: AUDIENCE, exp: now() + 60 }).encode(),
      reason: 'alg_not_allowed',
    },
    { name: 'a forged signature under a known kid', token: () => token(forger), reason: 'bad_signature' },
    { name: 'a tenant nobody configured', token: () => token(rsa, { sub: 'initech' }), reason: 'unknown_tenant' },
    { name: 'garbage shaped like a JWT', token: () => `eyJ${'A'.repeat(8000)}.x.y`, reason: 'malformed' },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} with 401 naming ${c.reason}, never the token`, async () => {
      const r = await refusal(await c.token());
      expect(r).toEqual({ status: 401, reason: c.reason, code: 'invalid_api_key', echoed: false });
    });
  }

  it('picks up a rotated key set on an unknown kid, at most one fetch per cooldown however many tokens ask', async () => {
    const before = idp.fetches;
    const fresh = await token(rotated);
    expect((await refusal(fresh)).reason).toBe('unknown_kid');
    // A flood of unknown-kid tokens while cooling down costs no fetch.
    const flood = await Promise.all(Array.from({ length: 20 }, () => refusal(fresh)));
    expect(flood.every((r) => r.reason === 'unknown_kid')).toBe(true);
    expect(idp.fetches - before).toBeLessThanOrEqual(1);
    // The identity provider rotates its keys; after the cooldown the next such token refetches once and passes.
    idp.doc = JSON.stringify(jwks(rsa, rotated));
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 50));
    expect((await ask(fresh)).object).toBe('chat.completion');
    expect(idp.fetches - before).toBeLessThanOrEqual(2);
    // Keys removed from the set stop working once it is refetched.
    expect((await refusal(await token(ec))).reason).toBe('unknown_kid');
  });

  it('refuses a 1 MB token at the HTTP layer, fast, and keeps serving', async () => {
    const huge = `eyJ${'A'.repeat(1024 * 1024)}`;
    const { port } = new URL(gw.url);
    const started = performance.now();
    const head = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let got = '';
      socket.on('data', (d) => {
        got += d.toString('latin1');
      });
      socket.on('error', () => resolve(got));
      socket.on('close', () => resolve(got));
      socket.on('connect', () => {
        socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${huge}\r\ncontent-length: 2\r\n\r\n{}`);
      });
      setTimeout(() => reject(new Error('no answer in 5 s')), 5000).unref();
    });
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).not.toContain('AAAAAAAAAAAAAAAA');
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await ask(await token(rsa))).object).toBe('chat.completion');
  });

  it('narrows the tenant allow-list to the models claim, for /v1/models and the 403 check', async () => {
    const narrowed = await token(rsa, { models: ['qwen', 'not-configured'] });
    const ids = (await as(narrowed).models.list()).data.map((m) => m.id);
    expect(ids).toEqual(['qwen']);
    expect((await ask(narrowed, 'qwen')).object).toBe('chat.completion');
    await expect(ask(narrowed, 'llama')).rejects.toMatchObject({ status: 403, code: 'model_not_allowed' });
    // A token cannot widen the tenant's own list.
    await expect(ask(await token(rsa, { sub: 'globex', models: ['qwen'] }), 'qwen')).rejects.toMatchObject({ status: 403 });
    expect((await as(await token(rsa)).models.list()).data.map((m) => m.id).sort()).toEqual(['captured', 'llama', 'qwen']);
  });

  it("tells the backend the token's tenant and user; a client's own identity headers never pass", async () => {
    await as(await token(rsa, { email: 'ann@acme.example' })).chat.completions.create(
      { model: 'captured', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-aigw-tenant': 'globex', 'x-aigw-user': 'mallory' } },
    );
    const seen = capture.seen.at(-1)!;
    expect(seen.headers['x-aigw-tenant']).toBe('acme');
    expect(seen.headers['x-aigw-user']).toBe('ann@acme.example');
    expect(seen.rawHeaders.filter((h) => /^x-aigw-(tenant|user)$/i.test(h))).toHaveLength(2);
    expect(seen.headers.authorization).toBeUndefined();
  });

  it("forwards a user outside ASCII as its UTF-8 bytes, as Envoy's claim_to_headers does", async () => {
    await as(await token(rsa, { email: 'josé@acme.example' })).chat.completions.create({
      model: 'captured',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const seen = capture.seen.at(-1)!;
    // node:http reads a header's bytes as Latin-1: the UTF-8 bytes of the claim, unchanged.
    expect(Buffer.from(String(seen.headers['x-aigw-user']), 'latin1').toString('utf8')).toBe('josé@acme.example');
  });

  it('lets nobody but the token name the user: a token without the user claim forwards no user, whatever the client says', async () => {
    await as(await token(rsa)).chat.completions.create(
      { model: 'captured', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-aigw-user': 'ceo@acme.example' } },
    );
    const seen = capture.seen.at(-1)!;
    expect(seen.headers['x-aigw-tenant']).toBe('acme');
    expect(seen.headers['x-aigw-user']).toBeUndefined();
    // An API key of the same tenant still vouches for the users it names.
    await as(KEY).chat.completions.create(
      { model: 'captured', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-aigw-user': 'bob@acme.example' } },
    );
    expect(capture.seen.at(-1)!.headers['x-aigw-user']).toBe('bob@acme.example');
  });
});
