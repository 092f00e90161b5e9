/**
 * What the drain's deadline does to requests still under way (contract §3): a stream the client is reading ends
 * with one error event and no end marker, never a bare cut; a request still waiting on its backend is answered
 * 503 `gateway_shutting_down`, which a client may retry elsewhere; the backend's request is given up.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

/** A chat body for model `model`: one short user turn, and whatever else the case needs. */
const chatBody = (model: string, extra: object = {}) => ({ model, messages: [{ role: 'user', content: 'x' }], ...extra });

/** A gateway whose one model `m` is served by one scripted upstream; `settings`: more top-level profile lines. */
function gatewayBefore(upstream: string, settings = '') {
  return gatewayFor(
    `
version: 1
${settings}
backends:
  u: { url: "{{upstream}}" }
models:
  m: { targets: [{ backend: u }] }
`,
    { upstream },
  );
}

describe("the drain's deadline", () => {
  it('ends the streams it cuts with the error event (both APIs, judged by their SDKs) and answers 503 to a request still waiting', async () => {
    // A backend that takes a request and never answers it.
    let taken = 0;
    const silent = await useUpstream(() => taken++);
    const g = await gatewayFor(
      `
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  a: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-ant-backend, mock: { kind: anthropic } }
  s: { url: "{{silent}}" }
models:
  m: { targets: [{ backend: v }] }
  claude: { targets: [{ backend: a }] }
  stuck: { targets: [{ backend: s }] }
`,
      { silent: silent.url },
    );
    const openai = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: g.url, apiKey: 'x', maxRetries: 0 });
    const slow = { headers: { 'x-mock-tps': '5' } };
    const chunks = await openai.chat.completions.create(
      { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1000, stream: true },
      slow,
    );
    const openaiRead = (async () => {
      let text = '';
      for await (const c of chunks) text += c.choices[0]?.delta.content ?? '';
      return text;
    })().catch((e: unknown) => e);
    const messages = anthropic.messages.stream({ model: 'claude', max_tokens: 1000, messages: [{ role: 'user', content: 'x' }] }, slow);
    const anthropicRead = messages.finalMessage().catch((e: unknown) => e);
    let anthropicText = '';
    messages.on('text', (t) => (anthropicText += t));
    const waiting = rawPost(`${g.url}/v1/chat/completions`, chatBody('stuck', { max_tokens: 1 }));
    await eventually(() => taken === 1 && anthropicText.length > 0);

    await g.close(); // the test helper's drain: a 100 ms deadline

    const openaiError = await openaiRead;
    expect(openaiError).toBeInstanceOf(OpenAI.APIError);
    expect(openaiError).toMatchObject({ code: 'gateway_shutting_down' });
    const anthropicError = await anthropicRead;
    expect(anthropicError).toBeInstanceOf(Anthropic.APIError);
    expect(String((anthropicError as Error).message)).toContain('the gateway is shutting down');
    const w = await waiting;
    expect(w.status).toBe(503);
    expect(w.headers.connection).toBe('close');
    expect(JSON.parse(w.body.toString()).error).toMatchObject({ code: 'gateway_shutting_down', type: 'server_error' });
    expect(g.eventsOf('truncation').map((e) => e.reason)).toEqual(['shutdown', 'shutdown']);
    const logged = g.eventsOf('request').map((e) => e.errorType ?? e.status);
    expect(logged.sort()).toEqual(['gateway_shutting_down', 'gateway_shutting_down', 'gateway_shutting_down']);
  });

  it('a request handed a connection slot by a stream the deadline ended is not sent on: 503, and the drain does not wait for it', async () => {
    const g = await gatewayFor(`
version: 1
backends:
  v: { url: http://127.0.0.1:0, pool: { connections: 1, queue: 5 }, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`);
    const ask = (extra: object) =>
      rawPost(`${g.url}/v1/chat/completions`, chatBody('m', extra), {
        headers: { 'x-mock-tps': '5' },
      });
    let started: () => void = () => {};
    const under = new Promise<void>((r) => (started = r));
    const stream = rawPost(`${g.url}/v1/chat/completions`, chatBody('m', { max_tokens: 1000, stream: true }), {
      headers: { 'x-mock-tps': '5' },
      onChunk: () => started(),
    });
    await under;
    const queued = ask({ max_tokens: 1000, stream: true });
    await eventually(() => g.gateway.state.live.size === 2);
    const t0 = performance.now();
    await g.close();
    // Before: the queued stream took the freed slot and was sent; the drain then waited ~200 s for it to end.
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect((await stream).body.toString()).toContain('gateway_shutting_down');
    const q = await queued;
    expect(q.status).toBe(503);
    expect(JSON.parse(q.body.toString()).error.code).toBe('gateway_shutting_down');
    // It never reached the backend: no attempt was made for it.
    expect(g.eventsOf('request').find((e) => e.status === 503)).toMatchObject({ attempts: 0, errorType: 'gateway_shutting_down' });
  });

  it('a stream already whole (its [DONE] sent, the backend not yet closed) ends cleanly, without the error event', async () => {
    const held = await useUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n',
      );
      res.write('data: [DONE]\n\n');
      // …and never ends the response.
    });
    const g = await gatewayBefore(held.url);
    let done: () => void = () => {};
    const sawDone = new Promise<void>((r) => (done = r));
    const s = rawPost(`${g.url}/v1/chat/completions`, chatBody('m', { stream: true }), {
      onChunk: () => done(),
    });
    await sawDone;
    await g.close();
    const r = await s;
    expect(r.body.toString()).toContain('data: [DONE]');
    expect(r.body.toString()).not.toContain('error');
    expect(g.eventsOf('truncation')).toEqual([]);
  });

  it("a request waiting out a backend's retry-after between attempts gets its 503 and is not sent again", async () => {
    const limited = await useUpstream((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' }).end('{"error":{"message":"slow down"}}');
    });
    const g = await gatewayBefore(limited.url, 'resilience: { retryAfterCap: 5s }');
    const r = rawPost(`${g.url}/v1/chat/completions`, chatBody('m', { max_tokens: 1 }));
    await eventually(() => limited.seen.length === 1);
    await g.close();
    const w = await r;
    expect(w.status).toBe(503);
    expect(JSON.parse(w.body.toString()).error.code).toBe('gateway_shutting_down');
    // Past the retry-after: the attempt it was waiting to make never went out.
    await new Promise((res) => setTimeout(res, 2500));
    expect(limited.seen).toHaveLength(1);
  });

  it('a request given up unanswered teaches nothing of its backend: an ejected one it was probing stays ejected', async () => {
    // The first request fails (503) and ejects the backend; the next, after the cooldown, probes it and hangs.
    const flaky = await useUpstream((_req, res, _body, n) => {
      if (n === 1) res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"down"}}');
    });
    const g = await gatewayBefore(flaky.url, 'resilience: { attempts: 1, consecutiveFailures: 1, cooldown: 100ms }');
    const chat = () => rawPost(`${g.url}/v1/chat/completions`, chatBody('m', { max_tokens: 1 }));
    expect((await chat()).status).toBe(502);
    await new Promise((r) => setTimeout(r, 150));
    const probing = chat();
    await eventually(() => flaky.seen.length === 2);
    await g.close();
    expect((await probing).status).toBe(503);
    // Before: the given-up probe counted as the backend answering ("answered", ejection lifted).
    expect(g.eventsOf('ejection').map((e) => e.reason)).not.toContain('answered');
  });

  it('a count the tokenizer thread finishes after the deadline answered its request writes nothing more', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const silent = await useUpstream(() => {});
    const g = await gatewayBefore(silent.url);
    try {
      // Pipelined on one connection: the count's answer waits behind the first, which waits on a silent backend.
      const socket = connect(Number(new URL(g.url).port), '127.0.0.1');
      const post = (path: string, body: object) => {
        const text = JSON.stringify(body);
        return `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
      };
      socket.write(
        post('/v1/chat/completions', chatBody('m', { max_tokens: 1 })) +
          post('/v1/messages/count_tokens', { model: 'm', messages: [{ role: 'user', content: 'count me '.repeat(2000) }] }),
      );
      socket.on('error', () => {});
      await eventually(() => silent.seen.length === 1 && g.gateway.state.live.size === 2);
      await g.close();
      await new Promise((r) => setTimeout(r, 500));
      socket.destroy();
      expect(warnings.filter((w) => w.includes('request handler failed'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
