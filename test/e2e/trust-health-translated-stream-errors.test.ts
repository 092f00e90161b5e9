/**
 * A backend's own error event mid-stream is judged by the status it means (80f2c93) — on a translated stream too. The
 * translating relay had no such status: an Anthropic backend that answered every OpenAI client's stream with a
 * message_start, a word and then `api_error` (or an OpenAI backend that did so to an Anthropic client, with
 * `data: {"error": …}`) ended each stream with upstream_stream_error and was read as answering — never ejected, and
 * under strategy latency its quick first words won it the traffic. A server fault now ends the answer as the backend's
 * failure; the request's own (invalid_request_error) still counts nothing. The official SDKs see the error.
 */
import type { ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent, messageStart } from '../helpers/anthropic-sse.js';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const sse = (res: ServerResponse, body: string): void => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(body);
};

/** An Anthropic stream's opening and one word: the client's stream has begun. */
const ANTHROPIC_HEAD =
  messageStart({ input_tokens: 3, output_tokens: 1 }) +
  anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } });
const anthropicError = (type: string, message: string) => anthropicEvent('error', { error: { type, message } });
const ANTHROPIC_WHOLE =
  ANTHROPIC_HEAD +
  anthropicEvent('content_block_stop', { index: 0 }) +
  anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } }) +
  anthropicEvent('message_stop', {});

const CHUNK = `data: ${JSON.stringify({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'llama',
  choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }],
})}\n\n`;
const FINISH = `data: ${JSON.stringify({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'llama',
  choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
})}\n\n`;

const broken = await useUpstream((_req, res) => sse(res, ANTHROPIC_HEAD + anthropicError('api_error', 'engine step failed')));
const picky = await useUpstream((_req, res) =>
  sse(res, ANTHROPIC_HEAD + anthropicError('invalid_request_error', 'this request cannot be served')),
);
const whole = await useUpstream((_req, res) => sse(res, ANTHROPIC_WHOLE));
const oaBroken = await useUpstream((_req, res) =>
  sse(res, `${CHUNK}data: ${JSON.stringify({ error: { message: 'engine step failed', type: 'internal_error' } })}\n\ndata: [DONE]\n\n`),
);
const oaWhole = await useUpstream((_req, res) => sse(res, `${CHUNK}${FINISH}data: [DONE]\n\n`));

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 2, cooldown: 60s }
backends:
  broken: { url: "{{broken}}", kind: anthropic }
  picky: { url: "{{picky}}", kind: anthropic }
  whole: { url: "{{whole}}", kind: anthropic }
  oa-broken: { url: "{{oaBroken}}" }
  oa-whole: { url: "{{oaWhole}}" }
models:
  chat: { targets: [{ backend: broken, model: claude }, { backend: whole, model: claude }] }
  strict: { targets: [{ backend: picky, model: claude }] }
  claude: { targets: [{ backend: oa-broken, model: llama }, { backend: oa-whole, model: llama }] }
`,
  { broken: broken.url, picky: picky.url, whole: whole.url, oaBroken: oaBroken.url, oaWhole: oaWhole.url },
);

const askOpenAI = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], stream: true });
const askAnthropic = () =>
  rawPost(
    `${gw.url}/v1/messages`,
    { model: 'claude', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true },
    { headers: { 'anthropic-version': '2023-06-01' } },
  );
const ejected = () =>
  gw
    .eventsOf('ejection')
    .filter((e) => e.ejected)
    .map((e) => e.backend);

describe("a backend's error event mid-stream, translated", () => {
  it('openai-node is told the error, not a cut answer', async () => {
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    // Only the picky backend serves `strict`: its stream always ends in its error.
    const stream = await openai.chat.completions.create({ model: 'strict', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    await expect(
      (async () => {
        for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow(/this request cannot be served/);
    expect(text).toBe('Hello');
  });

  it('an Anthropic backend saying a server fault to an OpenAI client is ejected after consecutiveFailures of them', async () => {
    let errors = 0;
    for (let i = 0; i < 30 && errors < 2; i++) {
      const r = await askOpenAI('chat');
      expect(r.status).toBe(200);
      if (r.headers['x-aigw-backend'] === 'broken') {
        errors++;
        expect(r.body.toString()).toContain('engine step failed');
      } else expect(r.body.toString()).toContain('Hello');
    }
    expect(errors).toBe(2);
    expect(ejected()).toContain('broken');
    for (let i = 0; i < 6; i++) expect((await askOpenAI('chat')).headers['x-aigw-backend']).toBe('whole');
  }, 30_000);

  it('an OpenAI backend saying a server fault to an Anthropic client is ejected after consecutiveFailures of them', async () => {
    let errors = 0;
    for (let i = 0; i < 30 && errors < 2; i++) {
      const r = await askAnthropic();
      expect(r.status).toBe(200);
      if (r.headers['x-aigw-backend'] === 'oa-broken') {
        errors++;
        expect(r.body.toString()).toContain('engine step failed');
      }
    }
    expect(errors).toBe(2);
    expect(ejected()).toContain('oa-broken');
    for (let i = 0; i < 6; i++) expect((await askAnthropic()).headers['x-aigw-backend']).toBe('oa-whole');
  }, 30_000);

  it("saying the request's fault (invalid_request_error), is no failure of the backend's", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await askOpenAI('strict');
      expect(r.body.toString()).toContain('this request cannot be served');
    }
    expect(ejected()).not.toContain('picky');
  });
});
