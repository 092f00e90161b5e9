/**
 * Trust classes 2, 4 and 6, through the gateway on real sockets: leases are the gateway's (a client's
 * x-request-id cannot share a slot), one key across key headers, reservations that cover everything a
 * request can produce, and answers without usage that are still counted.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gatewayFor, eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { redisAvailable, useRedis } from '../helpers/redis.js';
import { useUpstream } from '../helpers/upstream.js';

const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'm',
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 5,
  ...extra,
});

describe.each([
  ['memory', undefined],
  ['redis', redisAvailable ? 'redis' : undefined],
])('leases are the gateway’s own (%s store)', (name, store) => {
  it.skipIf(name === 'redis' && !store)(
    'admits 4 of 12 parallel streams that share one x-request-id under concurrency 4',
    async () => {
      const redis = store ? await useRedis() : undefined;
      const storeLine = redis ? `limits: { store: { redis: "${redis.url}" } }` : '';
      const g = await gatewayFor(`
version: 1
${storeLine}
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k], limits: { concurrency: 4 } }
`);
      try {
        const rs = await Promise.all(
          Array.from({ length: 12 }, () =>
            rawPost(`${g.url}/v1/chat/completions`, chat({ stream: true, max_tokens: 30 }), {
              headers: { authorization: 'Bearer k', 'x-request-id': 'same-id', 'x-mock-tps': '30' },
            }),
          ),
        );
        expect(rs.filter((r) => r.status === 200)).toHaveLength(4);
        expect(rs.filter((r) => r.status === 429)).toHaveLength(8);
        // The id is still echoed (and logged), just never a lease.
        expect(rs.every((r) => r.headers['x-request-id'] === 'same-id')).toBe(true);
      } finally {
        await g.close();
        await redis?.stop();
      }
    },
    30_000,
  );
});

const gw = await useGateway(
  `
version: 1
limits: { defaultCompletionTokens: 100 }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  bare: { url: "{{bare}}" }
models:
  m: { targets: [{ backend: v }] }
  bare: { targets: [{ backend: bare }] }
tenants:
  small: { keys: [k-small], limits: { tpm: 2000 } }
  big: { keys: [k-big], limits: { tpm: 10000000 } }
  one: { keys: [k-one], limits: { concurrency: 1, tpm: 10000000 } }
`,
  { bare: (await bareUpstream()).url },
);

/** An OpenAI-compatible upstream whose answers carry no usage: plain, or gzip-encoded. */
async function bareUpstream() {
  const text = 'the answer has eleven words in it and no usage at all';
  const body = JSON.stringify({
    id: 'x',
    object: 'chat.completion',
    model: 'bare',
    choices: [{ index: 0, message: { role: 'assistant', content: text } }],
  });
  return useUpstream((req, res) => {
    if (req.headers['x-test-gzip']) {
      const z = gzipSync(body);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': z.length }).end(z);
    } else res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
}

const post = (key: string, body: unknown, headers: Record<string, string> = {}) =>
  rawPost(`${gw.url}/v1/chat/completions`, body, { headers: { authorization: `Bearer ${key}`, ...headers } });

describe('one key across the key headers (trust class 2)', () => {
  it.each([
    ['Authorization and x-api-key disagree', { authorization: 'Bearer k-big', 'x-api-key': 'k-small' }, 401],
    ['api-key and x-api-key disagree', { 'api-key': 'k-big', 'x-api-key': 'k-small' }, 401],
    ['the same key in two headers', { authorization: 'Bearer k-big', 'x-api-key': 'k-big' }, 200],
  ])('%s → %d', async (_name, headers, status) => {
    const r = await rawPost(`${gw.url}/v1/chat/completions`, chat(), { headers });
    expect(r.status).toBe(status);
    if (status === 401) expect(JSON.parse(r.body.toString()).error.code).toBe('invalid_api_key');
  });
});

describe('reservations cover everything a request can produce (trust class 6)', () => {
  it('refuses n: 50 × max_tokens 1000 for a 2,000 TPM tenant for good, instead of admitting 50k tokens', async () => {
    const r = await post('k-small', chat({ n: 50, max_tokens: 1000 }));
    expect(r.status).toBe(429);
    expect(r.headers['x-should-retry']).toBe('false');
    expect(JSON.parse(r.body.toString()).error.message).toMatch(/can never admit/);
  });

  it.each([
    ['/v1/completions', { model: 'm', prompt: 'hi' }],
    ['/v1/chat/completions', chat()],
  ])('on %s, max_completion_tokens: 1 beside max_tokens: 3000 reserves 3,000 (the legacy API obeys max_tokens)', async (path, body) => {
    const r = await rawPost(
      `${gw.url}${path}`,
      { ...body, max_completion_tokens: 1, max_tokens: 3000 },
      {
        headers: { authorization: 'Bearer k-small' },
      },
    );
    expect(r.status).toBe(429);
    expect(JSON.parse(r.body.toString()).error.message).toMatch(/can never admit/);
  });

  it.each([
    ['0', 0],
    ['negative', -5],
    ['fractional', 1.5],
    ['a string', '10'],
    ['huge', 1e12],
  ])('answers max_tokens %s with 400 invalid_request naming it', async (_name, value) => {
    const r = await post('k-big', chat({ max_tokens: value }));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body.toString()).error).toMatchObject({ code: 'invalid_request', param: 'max_tokens' });
  });

  it.each([
    ['n: 0', { n: 0 }, 'n'],
    ['n: 500', { n: 500 }, 'n'],
  ])('answers %s with 400', async (_name, extra, param) => {
    const r = await post('k-big', chat(extra));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body.toString()).error.param).toBe(param);
  });

  it.each([
    ['plain', {}],
    ['gzip-encoded', { 'x-test-gzip': '1' }],
  ])('counts the output of a %s answer without usage from its content, never 0', async (_name, headers) => {
    const before = gw.eventsOf('request').length;
    const r = await post('k-big', { model: 'bare', messages: [{ role: 'user', content: 'x' }], max_tokens: 50 }, headers);
    expect(r.status).toBe(200);
    await eventually(() => gw.eventsOf('request').length > before && gw.eventsOf('request').at(-1)!.tokens.outputSource !== 'none');
    const t = gw.eventsOf('request').at(-1)!.tokens;
    expect(t.outputSource).toBe('tokenizer');
    expect(t.output).toBeGreaterThanOrEqual(11);
  });
});

describe('counting is bounded and never holds other requests (trust class 4)', () => {
  it('frees the concurrency slot when the answer ends, before the prompt is counted', async () => {
    // A prompt the worker must count (no usage comes back), from a tenant with one slot.
    const prompt = 'word '.repeat(50_000);
    const first = await post('k-one', chat({ messages: [{ role: 'user', content: prompt }] }), { 'x-mock-quirks': 'no-usage' });
    expect(first.status).toBe(200);
    const second = await post('k-one', chat());
    expect(second.status).toBe(200);
  });

  it('stays responsive while a mock in the same process counts 64 KiB of spaces and of newlines', async () => {
    for (const ws of [' ', '\n']) {
      const started = performance.now();
      const r = await post('k-big', chat({ messages: [{ role: 'user', content: ws.repeat(64 * 1024) }] }));
      expect(r.status).toBe(200);
      // Unbounded, tiktoken takes tens of seconds on this; bounded, well under a few.
      expect(performance.now() - started).toBeLessThan(10_000);
    }
  });
});
