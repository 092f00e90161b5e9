/** Token, request and concurrency limits through the gateway (reliability.md D), with a shortened window. */
import type { ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor, profileFor, useGateway } from '../helpers/gateway.js';
import { inParallel } from '../helpers/load.js';
import { anthropicEvent, messageStart } from '../helpers/anthropic-sse.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';
import { DEFAULT_MAX_TOKENS } from '../../src/translate/openai-anthropic.js';

const WINDOW_MS = 1000;
const gw = await useGateway(`
version: 1
limits: { rateWindow: ${WINDOW_MS}ms, defaultCompletionTokens: 100 }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
  other: { targets: [{ backend: vllm }] }
tenants:
  tpm2k: { keys: [k-tpm2k], limits: { tpm: 2000 } }
  rpm5: { keys: [k-rpm5], limits: { rpm: 5 } }
  tiny: { keys: [k-tiny], limits: { tpm: 100 } }
  zero: { keys: [k-zero], limits: { tpm: 0 } }
  conc: { keys: [k-conc], limits: { concurrency: 4 } }
  busy: { keys: [k-busy], limits: { rpm: 3 } }
  calm: { keys: [k-calm], limits: { rpm: 1000 } }
  steady: { keys: [k-steady], limits: { tpm: 3000 } }
  permodel: { keys: [k-permodel], limits: { rpm: 100 }, modelLimits: { other: { rpm: 1 } } }
`);
const url = `${gw.url}/v1/chat/completions`;
const chat = (key: string, extra: object = {}, headers: Record<string, string> = {}) =>
  rawPost(
    url,
    { model: 'm', messages: [{ role: 'user', content: 'count my tokens' }], max_tokens: 50, ...extra },
    { headers: { authorization: `Bearer ${key}`, ...headers } },
  );

/** A vLLM mock behind model m and an Anthropic mock behind model c (a profile's backends, then its models: key). */
const VLLM_AND_CLAUDE = `backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  claude: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-ant-limits, mock: { kind: anthropic } }
models:
  m: { targets: [{ backend: vllm }] }
  c: { targets: [{ backend: claude }] }`;

/** A scripted Anthropic backend ({{UP}}) behind one tenant with a tokens-per-minute limit. */
const CLAUDE_LIMITED = `
version: 1
backends:
  claude: { url: "{{UP}}", kind: anthropic, apiKey: sk-ant-limits }
models:
  c: { targets: [{ backend: claude }] }
tenants:
  t: { keys: [k], limits: { tpm: 100000 } }
`;

/** A scripted OpenAI-compatible backend ({{UP}}) behind one tenant with a tokens-per-minute limit. */
const OPENAI_LIMITED = `
version: 1
backends:
  up: { url: "{{UP}}" }
models:
  m: { targets: [{ backend: up }] }
tenants:
  t: { keys: [k], limits: { tpm: 100000000 } }
`;

const OK_ANSWER = JSON.stringify({
  id: 'c1',
  object: 'chat.completion',
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});

describe('token limits', () => {
  it('answers 429 with honest headers once a 2,000 TPM tenant is spent, and admits again after retry-after-ms (case 36)', async () => {
    let r = await chat('k-tpm2k', { max_tokens: 500 });
    expect(r.status).toBe(200);
    expect(r.headers['x-ratelimit-limit-tokens']).toBe('2000');
    expect(Number(r.headers['x-ratelimit-remaining-tokens'])).toBeLessThan(2000);
    expect(r.headers['x-ratelimit-reset-tokens']).toMatch(/^\d+(ms|s)$/);
    let n = 0;
    while (r.status === 200 && n++ < 20) r = await chat('k-tpm2k', { max_tokens: 500 });
    expect(r.status).toBe(429);
    const err = JSON.parse(r.body.toString()).error;
    expect(err).toMatchObject({ code: 'rate_limit_exceeded', type: 'tokens' });
    const ms = Number(r.headers['retry-after-ms']);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(WINDOW_MS + WINDOW_MS / 60);
    expect(Number(r.headers['retry-after'])).toBe(Math.ceil(ms / 1000));
    expect(r.headers['x-ratelimit-limit-tokens']).toBe('2000');
    await sleep(ms + 20);
    expect((await chat('k-tpm2k', { max_tokens: 500 })).status).toBe(200);
  });

  it('gives the openai client a RateLimitError with the headers, and its own retries get through after retry-after', async () => {
    const strict = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k-tpm2k', maxRetries: 0 });
    const ask = (c: OpenAI) => c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 900 });
    let err: unknown;
    for (let i = 0; i < 5 && !err; i++)
      err = await ask(strict).then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const headers = (err as InstanceType<typeof OpenAI.RateLimitError>).headers;
    expect(Number(headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(headers.get('x-ratelimit-limit-tokens')).toBe('2000');
    const patient = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k-tpm2k', maxRetries: 4 });
    expect((await ask(patient)).usage!.completion_tokens).toBe(900);
  });

  it.each([
    ['an OpenAI stream', 'chat/completions', 'm'],
    ['an Anthropic stream (passed through)', 'messages', 'c'],
    ['an Anthropic stream translated for an OpenAI client', 'chat/completions', 'c'],
  ])('charges a client that left %s for what was streamed, not for its whole reservation (case 34)', async (_what, path, model) => {
    // Its own gateway with a minute-long window, so nothing expires while we look.
    const g = await gatewayFor(`
version: 1
${VLLM_AND_CLAUDE}
tenants:
  t: { keys: [k], limits: { tpm: 3000 } }
`);
    try {
      const u = `${g.url}/v1/${path}`;
      const left = await rawPost(
        u,
        { model, messages: [{ role: 'user', content: 'x' }], max_tokens: 1000, stream: true },
        // Leave after a few chunks (not after a fixed time, which a loaded machine can outrun).
        { headers: { authorization: 'Bearer k', 'x-mock-tps': '100' }, abortAfterChunks: 8 },
      );
      expect(left.ended).toBe('aborted');
      await eventually(() => g.eventsOf('request').some((e) => e.clientAborted && e.tokens.inputSource !== 'none'));
      const charged = g.eventsOf('request').find((e) => e.clientAborted)!.tokens;
      // At least what was streamed — an Anthropic stream's opening count (1 output token) is not its answer's.
      expect(charged.output).toBeGreaterThanOrEqual(3);
      expect(charged.output).toBeLessThan(100);
      expect(charged.outputSource).toBe('estimate');
      const body = { model, messages: [{ role: 'user', content: 'count my tokens' }], max_tokens: 1 };
      const after = await rawPost(u, body, { headers: { authorization: 'Bearer k' } });
      // Remaining = limit − (prompt + streamed output of the aborted stream) − this request's own reservation.
      const reservation = Math.ceil(Buffer.byteLength(JSON.stringify(body)) / 3) + 1;
      expect(Number(after.headers['x-ratelimit-remaining-tokens'])).toBe(3000 - (charged.input + charged.output) - reservation);
    } finally {
      await g.close();
    }
  });

  it.each([
    ['passed through', 'messages'],
    ['translated for an OpenAI client', 'chat/completions'],
  ])('charges a client that left an Anthropic stream (%s) for the tokens its deltas carried, not one per delta', async (_what, path) => {
    // Claude's deltas often carry several tokens: here each carries 48 characters (~12 tokens), 50 ms apart,
    // and the answer never ends on its own.
    const TEXT = ' and so the answer goes on, several tokens a delta';
    const up = await useUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(messageStart({ input_tokens: 5, output_tokens: 1 }));
      res.write(anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
      const tick = setInterval(
        () => res.write(anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: TEXT } })),
        50,
      );
      res.on('close', () => clearInterval(tick));
    });
    const g = await gatewayFor(CLAUDE_LIMITED, { UP: up.url });
    try {
      let deltasSeen = 0;
      const left = await rawPost(
        `${g.url}/v1/${path}`,
        { model: 'c', messages: [{ role: 'user', content: 'x' }], max_tokens: 4000, stream: true },
        {
          headers: { authorization: 'Bearer k', 'anthropic-version': '2023-06-01' },
          abortAfterChunks: 8,
        },
      );
      expect(left.ended).toBe('aborted');
      for (const c of left.chunks) deltasSeen += c.data.toString().split('several tokens a delta').length - 1;
      expect(deltasSeen).toBeGreaterThanOrEqual(4);
      await eventually(() => g.eventsOf('request').some((e) => e.clientAborted));
      const charged = g.eventsOf('request').find((e) => e.clientAborted)!.tokens;
      expect(charged.outputSource).toBe('estimate');
      // At least ~12 tokens for each delta the client had (one per delta counted ~4-8 in all), at most its max_tokens.
      expect(charged.output).toBeGreaterThanOrEqual(12 * deltasSeen);
      expect(charged.output).toBeLessThan(4000);
    } finally {
      await g.close();
    }
  });

  it.each([
    ['passed through', 'messages'],
    ['translated for an OpenAI client', 'chat/completions'],
  ])(
    'charges an Anthropic stream (%s) whose message_delta has no usage what its deltas carried, not message_start’s 1',
    async (_what, path) => {
      const TEXT = ' and so the answer goes on, several tokens a delta';
      const up = await useUpstream((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(messageStart({ input_tokens: 5, output_tokens: 1 }));
        res.write(anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
        for (let i = 0; i < 20; i++)
          res.write(anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: TEXT } }));
        res.write(anthropicEvent('content_block_stop', { index: 0 }));
        res.write(anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null } }));
        res.end(anthropicEvent('message_stop', {}));
      });
      const g = await gatewayFor(CLAUDE_LIMITED, { UP: up.url });
      try {
        const r = await rawPost(
          `${g.url}/v1/${path}`,
          {
            model: 'c',
            messages: [{ role: 'user', content: 'x' }],
            max_tokens: 4000,
            stream: true,
            stream_options: path === 'messages' ? undefined : { include_usage: true },
          },
          { headers: { authorization: 'Bearer k', 'anthropic-version': '2023-06-01' } },
        );
        expect(r.status).toBe(200);
        await eventually(() => g.eventsOf('request').length > 0);
        const charged = g.eventsOf('request')[0]!.tokens;
        // ~12 tokens a delta (48 characters), 20 deltas.
        expect(charged.output).toBeGreaterThanOrEqual(12 * 20);
        expect(charged.outputSource).toBe('estimate');
        if (path === 'chat/completions') {
          // The OpenAI client is told what is charged, not message_start's placeholder.
          expect(/"usage":\{[^}]*"completion_tokens":(\d+)/.exec(r.body.toString())?.[1]).toBe(String(charged.output));
        }
      } finally {
        await g.close();
      }
    },
  );

  it('charges a client that left an OpenAI stream whose chunks batch tokens for the text they carried, not one per chunk', async () => {
    // A backend that puts several tokens in a chunk (Azure's content filter, vLLM's --stream-interval): 48
    // characters (~12 tokens) a chunk, 50 ms apart, and the answer never ends on its own.
    const TEXT = ' and so the answer goes on, several tokens a chunk';
    const chunk = (delta: object) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
    const up = await useUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: '' }));
      const tick = setInterval(() => res.write(chunk({ content: TEXT })), 50);
      res.on('close', () => clearInterval(tick));
    });
    const g = await gatewayFor(OPENAI_LIMITED, { UP: up.url });
    try {
      const left = await rawPost(
        `${g.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 4000, stream: true },
        { headers: { authorization: 'Bearer k' }, abortAfterChunks: 8 },
      );
      expect(left.ended).toBe('aborted');
      const seen = left.chunks.reduce((n, c) => n + c.data.toString().split('several tokens a chunk').length - 1, 0);
      expect(seen).toBeGreaterThanOrEqual(4);
      await eventually(() => g.eventsOf('request').some((e) => e.clientAborted));
      const charged = g.eventsOf('request').find((e) => e.clientAborted)!.tokens;
      expect(charged.outputSource).toBe('estimate');
      // One per chunk counted ~8 in all. The text beyond the smallest chunk's frame, at 4 characters a token: ~30
      // characters a chunk here (the role's first chunk has the larger frame), so at least 6 tokens a chunk seen.
      expect(charged.output).toBeGreaterThanOrEqual(6 * seen);
      expect(charged.output).toBeLessThan(4000);
    } finally {
      await g.close();
    }
  });

  /**
   * A 10,000 tpm tenant's tokens left after one request of max_tokens 3,000 that the client leaves (`leave`), its
   * backend answering it with `first`; read off the next request's x-ratelimit-remaining-tokens.
   */
  async function tokensLeftAfterLeaving(
    first: (res: ServerResponse) => void,
    leave: (received: Promise<void>) => { abortWhen?: Promise<unknown>; abortAfterMs?: number },
  ): Promise<number> {
    let taken!: () => void;
    const received = new Promise<void>((r) => (taken = r));
    let n = 0;
    const up = await useUpstream((_req, res) => {
      if (++n > 1) return res.writeHead(200, { 'content-type': 'application/json' }).end(OK_ANSWER);
      taken();
      first(res);
    });
    const g = await gatewayFor(OPENAI_LIMITED.replace('tpm: 100000000', 'tpm: 10000'), { UP: up.url });
    try {
      const left = await rawPost(
        `${g.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 3000 },
        { headers: { authorization: 'Bearer k' }, ...leave(received) },
      ).catch(() => undefined);
      expect(left === undefined || left.ended === 'aborted').toBe(true);
      await eventually(() => g.eventsOf('request').some((e) => e.clientAborted));
      const next = await rawPost(
        `${g.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 10 },
        { headers: { authorization: 'Bearer k' } },
      );
      expect(next.status).toBe(200);
      return Number(next.headers['x-ratelimit-remaining-tokens']);
    } finally {
      await g.close();
    }
  }

  it('charges a request the client left before its answer began for what it reserved, not nothing', async () => {
    // The backend holds the answer: the client leaves once the backend has the request, before any byte of it.
    const left = await tokensLeftAfterLeaving(
      (res) => {
        const t = setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(OK_ANSWER), 10_000);
        res.on('close', () => clearTimeout(t));
      },
      (received) => ({ abortWhen: received }),
    );
    // Charged, the 3,000 tokens it reserved are gone from the window; refunded, ~9,900 were left.
    expect(left).toBeLessThanOrEqual(10_000 - 3000);
  });

  it("charges nothing when the client leaves while the backend's refusal (an error answer) is being read", async () => {
    const left = await tokensLeftAfterLeaving(
      (res) => {
        // A 500's head and part of its body, then nothing.
        res.writeHead(500, { 'content-type': 'application/json' });
        res.write('{"error":{"message":"overloaded, ');
      },
      // Well after the 500's head is in, well before the error body's 5 s deadline.
      () => ({ abortAfterMs: 1000 }),
    );
    expect(left).toBeGreaterThan(10_000 - 3000);
  });

  it('charges a non-streamed answer the client left half-read for what its backend sent, not the prompt alone', async () => {
    // 8 MB of answer without usage (more than the sockets buffer), written as fast as the client reads it.
    const PIECE = 'word '.repeat(20_000);
    const up = await useUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"');
      let n = 0;
      const more = () => {
        while (n < 80 && !res.destroyed) {
          n++;
          if (!res.write(PIECE)) return void res.once('drain', more);
        }
        if (!res.destroyed) res.end('"},"finish_reason":"stop"}]}');
      };
      more();
    });
    const g = await gatewayFor(OPENAI_LIMITED, { UP: up.url });
    try {
      const left = await rawPost(
        `${g.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 4_000_000 },
        { headers: { authorization: 'Bearer k' }, abortAfterChunks: 20 },
      );
      expect(left.ended).toBe('aborted');
      const got = left.chunks.reduce((n, c) => n + c.data.length, 0);
      await eventually(() => g.eventsOf('request').some((e) => e.clientAborted && e.tokens.outputSource !== 'none'));
      const charged = g.eventsOf('request').find((e) => e.clientAborted)!.tokens;
      // Counted (what came is kept up to 1 MiB) or estimated from its size past that: at least half of what the
      // client read, at 5 characters ("word ") a token.
      expect(['tokenizer', 'estimate']).toContain(charged.outputSource);
      expect(charged.output).toBeGreaterThanOrEqual(Math.floor(got / 5 / 2));
    } finally {
      await g.close();
    }
  });

  it("charges a `truncate` buffer's cut answer for the bytes it relayed, not the prompt alone", async () => {
    const ANSWER = JSON.stringify({
      id: 'c1',
      object: 'chat.completion',
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'word '.repeat(100_000) }, finish_reason: 'stop' }],
    });
    const up = await useUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ANSWER) });
      res.end(ANSWER);
    });
    const truncating = `${OPENAI_LIMITED}limits: { responseBuffer: { mode: buffered, maxBytes: 64Ki, onOverflow: truncate } }\n`;
    const g = await gatewayFor(truncating, { UP: up.url });
    try {
      const r = await rawPost(
        `${g.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1_000_000 },
        { headers: { authorization: 'Bearer k' } },
      );
      expect(r.status).toBe(200);
      expect(r.ended).toBe('aborted');
      await eventually(() => g.eventsOf('request').some((e) => e.tokens.outputSource !== 'none'));
      const charged = g.eventsOf('request')[0]!.tokens;
      // 64 KiB relayed: ~13,000 tokens of "word " (counted), or ~16,000 estimated from the bytes; never the 0 it was.
      expect(charged.output).toBeGreaterThanOrEqual(10_000);
      // And never more than the request could generate: a cut body's JSON is not all output.
      await rawPost(
        `${g.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 50 },
        { headers: { authorization: 'Bearer k' } },
      );
      await eventually(() => g.eventsOf('request').filter((e) => e.tokens.outputSource !== 'none').length === 2);
      expect(g.eventsOf('request')[1]!.tokens.output).toBeLessThanOrEqual(50);
    } finally {
      await g.close();
    }
  });

  it('reserves what a translation lets an OpenAI request without max_tokens produce at an Anthropic target', async () => {
    const g = await gatewayFor(`
version: 1
limits: { defaultCompletionTokens: 100 }
${VLLM_AND_CLAUDE}
  either: { targets: [{ backend: vllm, model: m }], fallbacks: [c] }
  # Claude only for tenant rb, or at weight 0: ra's requests can never reach it.
  ruled:
    targets: [{ backend: vllm, model: m }, { backend: claude, weight: 0 }]
    match: [{ when: { tenant: rb }, targets: [{ backend: claude }] }]
tenants:
  a: { keys: [ka], limits: { tpm: 100000 } }
  b: { keys: [kb], limits: { tpm: 100000 } }
  e: { keys: [ke], limits: { tpm: 100000 } }
  ra: { keys: [kra], limits: { tpm: 100000 } }
  rb: { keys: [krb], limits: { tpm: 100000 } }
`);
    try {
      const remaining = async (key: string, model: string) => {
        const body = { model, messages: [{ role: 'user', content: 'x' }] };
        const r = await rawPost(`${g.url}/v1/chat/completions`, body, { headers: { authorization: `Bearer ${key}` } });
        expect(r.status).toBe(200);
        return 100000 - Math.ceil(Buffer.byteLength(JSON.stringify(body)) / 3) - Number(r.headers['x-ratelimit-remaining-tokens']);
      };
      // The translation sends max_tokens 4096 (DEFAULT_MAX_TOKENS), more than defaultCompletionTokens: reserved.
      expect(await remaining('ka', 'c')).toBe(DEFAULT_MAX_TOKENS);
      expect(await remaining('kb', 'm')).toBe(100);
      // A fallback counts: the request may end up there.
      expect(await remaining('ke', 'either')).toBe(DEFAULT_MAX_TOKENS);
      // A match rule counts only for the tenant it names; a target at weight 0 is never picked.
      expect(await remaining('kra', 'ruled')).toBe(100);
      expect(await remaining('krb', 'ruled')).toBe(DEFAULT_MAX_TOKENS);
    } finally {
      await g.close();
    }
  });

  it('refunds what a request did not use, so the remaining budget tracks real usage (case 34)', async () => {
    const a = await chat('k-steady', { max_tokens: 1000 }, { 'x-mock-fault': 'status:400' });
    expect(a.status).toBe(400);
    // A refused request (upstream 400) costs nothing once settled.
    await eventually(async () => Number((await chat('k-steady', { max_tokens: 1 })).headers['x-ratelimit-remaining-tokens']) > 2900);
  });

  it('lets at most two of five simultaneous 50-token requests through 100 TPM (case 33)', async () => {
    const rs = await Promise.all(Array.from({ length: 5 }, () => chat('k-tiny')));
    expect(rs.filter((r) => r.status === 200).length).toBeLessThanOrEqual(2);
    expect(rs.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(3);
  });

  it('refuses for good what can never fit — larger than the budget, or TPM 0 — with x-should-retry: false (case 35)', async () => {
    const big = await chat('k-tiny', { max_tokens: 5000 });
    expect(big.status).toBe(429);
    expect(big.headers['x-should-retry']).toBe('false');
    expect(big.headers['retry-after']).toBeUndefined();
    const zero = await chat('k-zero');
    expect(zero.status).toBe(429);
    expect(zero.headers['x-should-retry']).toBe('false');
  });
});

describe('request limits', () => {
  it("converges with the openai client's own retries (it honours retry-after-ms)", async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k-rpm5', maxRetries: 5 });
    const t0 = Date.now();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }),
      ),
    );
    expect(results).toHaveLength(8);
    expect(Date.now() - t0).toBeGreaterThan(WINDOW_MS / 2);
    expect(gw.eventsOf('ratelimit').some((e) => e.tenant === 'rpm5' && e.kind === 'requests')).toBe(true);
  });

  it("applies per-model limits on top of the tenant's", async () => {
    const a = await chat('k-permodel', { model: 'other' });
    const b = await chat('k-permodel', { model: 'other' });
    expect([a.status, b.status]).toEqual([200, 429]);
    expect((await chat('k-permodel')).status).toBe(200);
  });

  it('keeps tenants apart: B sees no 429 while A is saturated (case 39)', async () => {
    const [a, b] = await Promise.all([inParallel(60, 10, () => chat('k-busy')), inParallel(60, 10, () => chat('k-calm'))]);
    expect(a.filter((r) => r.status === 429).length).toBeGreaterThan(50);
    expect(b.every((r) => r.status === 200)).toBe(true);
  });
});

describe('concurrency limits (case 37)', () => {
  it("holds a tenant's requests in flight — answers under way and bodies still arriving — to its concurrency, so they cannot fill the gateway's in-flight cap", async () => {
    const g = await gatewayFor(`
version: 1
limits: { maxInflight: 4 }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
tenants:
  slow: { keys: [k-slow], limits: { concurrency: 2 } }
  other: { keys: [k-other] }
`);
    const { port } = new URL(g.url);
    const sockets: Socket[] = [];
    let leave!: () => void;
    const left = new Promise<void>((r) => (leave = r));
    try {
      // One answer under way (a stream of 10 s)...
      const stream = rawPost(
        `${g.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 20, stream: true },
        { headers: { authorization: 'Bearer k-slow', 'x-mock-tps': '2' }, abortWhen: left },
      ).catch(() => undefined);
      await eventually(async () => ((await g.mockStats('vllm')).requests['/v1/chat/completions'] ?? 0) === 1);
      // ...and bodies that never finish: one more place is left.
      const refused: string[] = [];
      for (let i = 0; i < 3; i++) {
        const s: Socket = connect(Number(port), '127.0.0.1', () =>
          s.write(
            'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nauthorization: Bearer k-slow\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{',
          ),
        );
        sockets.push(s);
        s.on('error', () => {});
        let text = '';
        s.on('data', (d) => (text += d));
        s.on('close', () => refused.push(text));
      }
      // Two of the three are refused at once, as the limiter refuses a third stream.
      await eventually(() => refused.length === 2);
      for (const text of refused) {
        expect(text).toMatch(/^HTTP\/1\.1 429 /);
        expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.type).toBe('concurrency');
      }
      // The gateway's cap (4) still has room for another tenant.
      const ok = await rawPost(
        `${g.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 3 },
        { headers: { authorization: 'Bearer k-other' } },
      );
      expect(ok.status).toBe(200);
      // Gone, the stream and the slow body free their places.
      leave();
      await stream;
      for (const s of sockets) s.destroy();
      await eventually(async () => {
        const r = await rawPost(
          `${g.url}/v1/chat/completions`,
          { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 3 },
          { headers: { authorization: 'Bearer k-slow' } },
        );
        return r.status === 200;
      });
    } finally {
      leave();
      for (const s of sockets) s.destroy();
      await g.close();
    }
  });

  it('holds 4 slots under 50 parallel streams, and frees a slot within 1 s of a disconnect', async () => {
    const before = (await gw.mockStats('vllm')).requests['/v1/chat/completions'] ?? 0;
    // Streams of 50 s, left once the other 46 are answered (or after 10 s): the 4 admitted hold their slots however
    // slowly a busy machine lets the others arrive. (Streams of 1 s left only a second for that.)
    let answered = 0;
    let leave!: () => void;
    const left = new Promise<void>((r) => (leave = r));
    const giveUp = setTimeout(leave, 10_000);
    const streams = Array.from({ length: 50 }, () =>
      rawPost(
        url,
        { model: 'm', messages: [{ role: 'user', content: 'count my tokens' }], stream: true, max_tokens: 1000 },
        { headers: { authorization: 'Bearer k-conc', 'x-mock-tps': '20' }, abortWhen: left },
      ).then((r) => {
        if (++answered === 46) leave();
        return r;
      }),
    );
    const rs = await Promise.all(streams);
    clearTimeout(giveUp);
    expect(rs.filter((r) => r.status === 200)).toHaveLength(4);
    const denied = rs.filter((r) => r.status === 429);
    expect(denied).toHaveLength(46);
    expect(JSON.parse(denied[0]!.body.toString()).error.type).toBe('concurrency');
    expect(((await gw.mockStats('vllm')).requests['/v1/chat/completions'] ?? 0) - before).toBe(4);
  });

  it('frees a slot at once when a client disconnects (seconds, not the 100 s the stream would run)', async () => {
    await sleep(1200); // the previous test's streams were left: their slots are free by now
    const hold = Array.from({ length: 3 }, () => chat('k-conc', { stream: true, max_tokens: 10 }, { 'x-mock-tps': '10' }));
    const t0 = Date.now();
    await rawPost(
      url,
      { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1000, stream: true },
      { headers: { authorization: 'Bearer k-conc', 'x-mock-tps': '10' }, abortAfterChunks: 2 },
    );
    // The stream it left would have held the slot for 100 s; freed, the slot is back within a second or so.
    await eventually(async () => (await chat('k-conc', { max_tokens: 1 })).status === 200, 5000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await Promise.all(hold);
  });
});

describe('concurrency across a reload', () => {
  it('a reload that changes the window keeps the slots of streams in flight, and frees them when they end', async () => {
    const conc = (window: string) => `
version: 1
limits: { rateWindow: ${window} }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
tenants:
  conc: { keys: [k-conc], limits: { concurrency: 2 } }
`;
    const g = await gatewayFor(conc('60s'));
    try {
      const one = (extra: object, opts: Parameters<typeof rawPost>[2] = {}) =>
        rawPost(
          `${g.url}/v1/chat/completions`,
          { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1000, stream: true, ...extra },
          { ...opts, headers: { authorization: 'Bearer k-conc', 'x-mock-tps': '20', ...opts.headers } },
        );
      let started = 0;
      // Held until the third request was answered (left after 3 chunks, ~150 ms, they ended before it on a busy machine).
      let leave!: () => void;
      const left = new Promise<void>((r) => (leave = r));
      const held = [1, 2].map(() => one({}, { abortWhen: left, onChunk: (n) => n === 1 && started++ }));
      await eventually(() => started === 2);
      const reloaded = await g.stack.reload(profileFor(conc('10s')));
      expect(reloaded.ok).toBe(true);
      // Both slots are still held by the streams the old window admitted.
      const third = await one({ max_tokens: 1 });
      expect(third.status).toBe(429);
      expect(JSON.parse(third.body.toString()).error.type).toBe('concurrency');
      // They end (their clients leave): the slots they took under the old window are free under the new one.
      leave();
      await Promise.all(held);
      await eventually(async () => (await one({ max_tokens: 1 })).status === 200, 5000);
    } finally {
      await g.close();
    }
  });
});

describe('accuracy and the event loop', () => {
  it('holds a tenant driven above its TPM to the limit within 5 % in every window of a run', async () => {
    const windows = 4;
    const start = Date.now();
    // [sent, answered, tokens]: the gateway admitted each between the first two.
    const admitted: [number, number, number][] = [];
    let refused = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() - start < windows * WINDOW_MS) {
          const sent = Date.now() - start;
          const r = await chat('k-steady', { max_tokens: 100 });
          if (r.status === 200) admitted.push([sent, Date.now() - start, JSON.parse(r.body.toString()).usage.total_tokens]);
          else {
            refused++;
            await sleep(5);
          }
        }
      }),
    );
    expect(refused).toBeGreaterThan(0);
    const tokens = (within: (sent: number, answered: number) => boolean) =>
      admitted.filter(([sent, answered]) => within(sent, answered)).reduce((a, [, , n]) => a + n, 0);
    // Any 900 ms lie within one window (the store counts whole buckets of 1/60 window, so admissions a bucket less
    // than a window apart may not): admitted within them for certain — sent and answered in them — at most the limit
    // (+5 %), wherever they start. (By the time sent alone, a loaded machine's delays between client and gateway
    // moved a few admissions of the next window into this one: 3,300 once.) A fixed window lets two windows' worth in.
    const SPAN = WINDOW_MS - 100;
    for (let from = 0; from + SPAN <= windows * WINDOW_MS; from += 50) {
      expect(
        tokens((sent, answered) => sent >= from && answered < from + SPAN),
        `${from}–${from + SPAN} ms`,
      ).toBeLessThanOrEqual(3000 * 1.05);
    }
    // Driven from 0 ms, the clients fill the window at once, and again each time that burst leaves it: bursts at
    // about 0, 1, 2 and 3 s. The windows judged here start half a window after one, so a burst a loaded machine
    // delays by a few hundred ms is still counted whole in one window, never half in two. (From 0 ms, the requests
    // sent just before a boundary and admitted after it went to the window before, ~5 requests of slack in 28.)
    for (let from = WINDOW_MS / 2; from + WINDOW_MS <= windows * WINDOW_MS; from += WINDOW_MS) {
      // Driven above the limit, a window is used nearly to the full (reservations wait for their refunds).
      expect(
        tokens((sent) => sent >= from && sent < from + WINDOW_MS),
        `${from}–${from + WINDOW_MS} ms`,
      ).toBeGreaterThan(3000 * 0.8);
    }
  }, 20_000);
});
