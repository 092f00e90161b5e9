/**
 * OpenAI's x-ratelimit-* headers on every answer to a tenant with limits (contract §3), refusals before admission
 * included: the concurrency 429 of tenant-places.ts and the 400/403/404 of a tenant already known. Read from the
 * store, counting nothing; a stalled store delays such a refusal by a bounded wait at most.
 */
import { request } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { gatewayFor, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';
import { rawPost } from '../helpers/raw.js';
import { redisAvailable, useRedis } from '../helpers/redis.js';

const redis = redisAvailable ? await useRedis() : undefined;

const profile = (store: string) => `
version: 1
limits: { maxRequestBytes: 4096${store} }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
  m2: { targets: [{ backend: v }] }
  hidden: { targets: [{ backend: v }] }
tenants:
  t:
    keys: [k]
    limits: { rpm: 100, tpm: 30000, concurrency: 1 }
    modelLimits: { m2: { rpm: 5 } }
  narrow: { keys: [kn], models: [m], limits: { rpm: 50 } }
  free: { keys: [kf] }
`;

const chat = (base: string, body: object, headers: Record<string, string> = {}) =>
  rawPost(`${base}/v1/chat/completions`, body, { headers: { authorization: 'Bearer k', ...headers } });
const messages = (base: string, body: object, headers: Record<string, string> = {}) =>
  rawPost(`${base}/v1/messages`, body, { headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', ...headers } });
const getModels = (base: string, path: string, method = 'GET') =>
  new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = request(`${base}/v1/models${path}`, { method, headers: { authorization: 'Bearer k' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
const ok = { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 10 };

/** A request of tenant t whose body never ends: it holds the tenant's one place until destroyed. */
function holdPlace(base: string): { gone: () => void } {
  const req = request(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json', 'content-length': '1000' },
  });
  req.on('error', () => {});
  req.write('{"model":');
  return { gone: () => req.destroy() };
}

/** The store's part of `limits`: none (memory), or Redis under a prefix of its own. */
const stores: [string, () => string][] = [['memory', () => '']];
if (redis) {
  let n = 0;
  stores.push(['redis', () => `, store: { redis: "${redis.url}", timeout: 2s, prefix: rh${n++} }`]);
}

describe.each(stores)('x-ratelimit-* on refusals before admission (%s store)', (_name, store) => {
  let gw: TestGateway;
  afterAll(() => gw?.close());

  it('every refusal to the tenant carries them, the binding limit read without counting anything', async () => {
    gw = await gatewayFor(profile(store()));
    const first = await chat(gw.url, ok);
    expect(first.status).toBe(200);
    expect(first.headers['x-ratelimit-remaining-requests']).toBe('99');

    const refusals = [
      ['404 model_not_found', await chat(gw.url, { ...ok, model: 'nope' }), 404],
      ['400 invalid_request', await chat(gw.url, { ...ok, messages: 5 }), 400],
      ['400 anthropic-version', await messages(gw.url, { ...ok, model: 'm' }, { 'anthropic-version': 'x' }), 400],
      ['404 on /v1/messages', await messages(gw.url, { ...ok, model: 'nope' }), 404],
      ['413 request_too_large', await chat(gw.url, { ...ok, user: 'x'.repeat(5000) }), 413],
      ['404 on /v1/models/{id}', await getModels(gw.url, '/nope'), 404],
    ] as const;
    for (const [what, r, status] of refusals) {
      expect(r.status, what).toBe(status);
      expect(
        [r.headers['x-ratelimit-limit-requests'], r.headers['x-ratelimit-remaining-requests'], r.headers['x-ratelimit-limit-tokens']],
        what,
      ).toEqual(['100', '99', '30000']);
      expect(r.headers['x-ratelimit-reset-requests'], what).toMatch(/^\d+(ms|s|m\d+s)$/);
      expect(r.headers['x-ratelimit-remaining-tokens'], what).toMatch(/^\d+$/);
      expect(r.headers['x-ratelimit-reset-tokens'], what).toMatch(/^\d+(ms|s|m\d+s)$/);
    }

    // Not refusals only: the model list and a model's entry are answers to the tenant too, GET and HEAD.
    const listings = [
      ['GET /v1/models', await getModels(gw.url, '')],
      ['HEAD /v1/models', await getModels(gw.url, '', 'HEAD')],
      ['GET /v1/models/m', await getModels(gw.url, '/m')],
      ['HEAD /v1/models/m', await getModels(gw.url, '/m', 'HEAD')],
    ] as const;
    for (const [what, r] of listings) {
      expect(r.status, what).toBe(200);
      expect(
        [r.headers['x-ratelimit-limit-requests'], r.headers['x-ratelimit-remaining-requests'], r.headers['x-ratelimit-limit-tokens']],
        what,
      ).toEqual(['100', '99', '30000']);
    }

    const narrow = await chat(gw.url, { ...ok, model: 'hidden' }, { authorization: 'Bearer kn' });
    expect(narrow.status).toBe(403);
    expect(narrow.headers['x-ratelimit-limit-requests']).toBe('50');
    expect(narrow.headers['x-ratelimit-remaining-requests']).toBe('50');
    expect(narrow.headers['x-ratelimit-limit-tokens']).toBeUndefined();

    // A per-model limit binds where it has the least left: m2's 5 requests, not the tenant's 99.
    const perModel = await messages(gw.url, { ...ok, model: 'm2' }, { 'anthropic-version': 'x' });
    expect(perModel.status).toBe(400);
    expect(perModel.headers['x-ratelimit-limit-requests']).toBe('5');
    expect(perModel.headers['x-ratelimit-remaining-requests']).toBe('5');
    expect(perModel.headers['x-ratelimit-limit-tokens']).toBe('30000');

    const client = new OpenAI({ apiKey: 'k', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const notFound = await client.chat.completions
      .create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    expect((notFound as InstanceType<typeof OpenAI.APIError>).headers?.get('x-ratelimit-limit-requests')).toBe('100');
    expect((notFound as InstanceType<typeof OpenAI.APIError>).headers?.get('x-ratelimit-remaining-requests')).toBe('99');

    const anthropic = new Anthropic({ apiKey: 'k', baseURL: gw.url, maxRetries: 0 });
    const refused = await anthropic.messages
      .create({ model: 'nope', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.NotFoundError);
    expect((refused as InstanceType<typeof Anthropic.APIError>).headers?.get('x-ratelimit-remaining-requests')).toBe('99');

    // The concurrency 429 of a tenant whose one place is held by a body still arriving.
    const held = holdPlace(gw.url);
    try {
      // Asked for a model that does not exist until the place is taken: a 404 counts nothing meanwhile.
      let busy = await chat(gw.url, { ...ok, model: 'nope' });
      while (busy.status !== 429) busy = await chat(gw.url, { ...ok, model: 'nope' });
      expect(JSON.parse(busy.body.toString()).error.type).toBe('concurrency');
      expect(busy.headers['retry-after']).toBe('1');
      expect(busy.headers['x-ratelimit-limit-requests']).toBe('100');
      expect(busy.headers['x-ratelimit-remaining-requests']).toBe('99');

      // openai-node shows them on the APIError.
      const err = await client.chat.completions
        .create({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 10 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
      expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get('x-ratelimit-remaining-requests')).toBe('99');
    } finally {
      held.gone();
    }

    // None of the refusals was counted: the next admission is the second request of the window.
    let next = await chat(gw.url, ok);
    while (next.status === 429) next = await chat(gw.url, ok);
    expect(next.status).toBe(200);
    expect(next.headers['x-ratelimit-remaining-requests']).toBe('98');

    // Unchanged: no tenant (401), and a tenant without limits.
    const unknown = await chat(gw.url, { ...ok, model: 'nope' }, { authorization: 'Bearer wrong' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers['x-ratelimit-limit-requests']).toBeUndefined();
    const free = await chat(gw.url, { ...ok, model: 'nope' }, { authorization: 'Bearer kf' });
    expect(free.status).toBe(404);
    expect(free.headers['x-ratelimit-limit-requests']).toBeUndefined();
  }, 20_000);
});

describe.skipIf(!redis)('a stalled store does not hold a refusal', () => {
  it('answers the 404 within the bounded wait, without the headers, while Redis is stopped', async () => {
    const gw = await gatewayFor(profile(`, store: { redis: "${redis!.url}", timeout: 5s, prefix: stall }`));
    try {
      expect((await chat(gw.url, ok)).status).toBe(200);
      const pid = redis!.child.pid!;
      process.kill(pid, 'SIGSTOP');
      let r: Awaited<ReturnType<typeof chat>>;
      const started = performance.now();
      try {
        r = await chat(gw.url, { ...ok, model: 'nope' });
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const took = performance.now() - started;
      expect(r.status).toBe(404);
      expect(r.headers['x-ratelimit-limit-requests']).toBeUndefined();
      // The store's own timeout is 5 s: the refusal waited a small bounded part of it at most.
      expect(took).toBeLessThan(1500);
    } finally {
      await gw.close();
    }
  }, 20_000);
});

describe('a store said down (open)', () => {
  it("says this replica's share, as its admissions do, at once", async () => {
    const port = await freePort();
    const gw = await gatewayFor(profile(`, store: { redis: "redis://127.0.0.1:${port}", timeout: 100ms, onError: open, replicas: 2 }`));
    try {
      const admitted = await chat(gw.url, ok);
      expect(admitted.status).toBe(200);
      expect(admitted.headers['x-ratelimit-limit-requests']).toBe('50');
      const r = await chat(gw.url, { ...ok, model: 'nope' });
      expect(r.status).toBe(404);
      expect([r.headers['x-ratelimit-limit-requests'], r.headers['x-ratelimit-remaining-requests']]).toEqual(['50', '49']);
      expect(r.headers['x-ratelimit-limit-tokens']).toBe('15000');
    } finally {
      await gw.close();
    }
  }, 20_000);
});
