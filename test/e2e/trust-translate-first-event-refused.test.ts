/**
 * A translated stream whose first event the translation refuses — one it cannot read (`data: not json`, a
 * `message_start` that is not JSON), or a backend giving up on its answer at once (finish_reason `abort`). Nothing of
 * the answer had reached the client, but the head was written before the first event was translated: the client got a
 * 200 whose stream was only the error frame, and the attempt was its answer — never failed over, as the same answer is
 * when its first event is the backend's error (failover-first-event-error.test.ts) or it is JSON where a stream was
 * asked for. The first read is translated before the head now: refused before the answer began, the attempt fails as a
 * bad response (another target answers); the backend's error event there is judged by the status it means. Once content went out, a refusal still ends the stream. The official SDKs read
 * the answers.
 */
import type { ServerResponse } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const sse = (res: ServerResponse, body: string): void => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(body);
};
const chunk = (choice: object) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, ...choice }] })}\n\n`;

const garbled = await useUpstream((_req, res) => sse(res, 'data: not json\n\ndata: [DONE]\n\n'));
const gaveUp = await useUpstream((_req, res) =>
  sse(res, `${chunk({ delta: { role: 'assistant', content: '' }, finish_reason: 'abort' })}data: [DONE]\n\n`),
);
const lateGarble = await useUpstream((_req, res) =>
  sse(res, `${chunk({ delta: { content: 'Hel' }, finish_reason: null })}data: not json\n\ndata: [DONE]\n\n`),
);
/** The role's chunk (no content yet), then the engine's error, in the same read. */
const engineDead = await useUpstream((_req, res) =>
  sse(
    res,
    `${chunk({ delta: { role: 'assistant', content: '' }, finish_reason: null })}data: ${JSON.stringify({ error: { message: 'EngineCore encountered an issue', type: 'InternalServerError', code: 500 } })}\n\n`,
  ),
);
const anthropicGarbled = await useUpstream((_req, res) => sse(res, 'event: message_start\ndata: {"type": "message_st\n\n'));

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 1000 }
backends:
  garbled: { url: "{{garbled}}" }
  gave-up: { url: "{{gaveUp}}" }
  late-garble: { url: "{{lateGarble}}" }
  engine-dead: { url: "{{engineDead}}" }
  anthropic-garbled: { url: "{{anthropicGarbled}}", kind: anthropic }
  healthy: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  garbled: { targets: [{ backend: garbled }], fallbacks: [spare] }
  gave-up: { targets: [{ backend: gave-up }], fallbacks: [spare] }
  late-garble: { targets: [{ backend: late-garble }], fallbacks: [spare] }
  engine-dead: { targets: [{ backend: engine-dead }], fallbacks: [spare] }
  claude: { targets: [{ backend: anthropic-garbled }], fallbacks: [spare] }
  spare: { targets: [{ backend: healthy }] }
`,
  {
    garbled: garbled.url,
    gaveUp: gaveUp.url,
    lateGarble: lateGarble.url,
    engineDead: engineDead.url,
    anthropicGarbled: anthropicGarbled.url,
  },
);

const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const messages = (model: string) =>
  rawPost(
    `${gw.url}/v1/messages`,
    { model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }], stream: true },
    { headers: { 'anthropic-version': '2023-06-01' } },
  );

describe('a translated stream whose first event the translation refuses', () => {
  it.each(['garbled', 'gave-up'])('Anthropic client, OpenAI backend (%s): fails over, the fallback answers whole', async (model) => {
    const r = await messages(model);
    expect(r.status).toBe(200);
    expect(r.headers['x-aigw-backend']).toBe('healthy');
    const text = r.body.toString();
    expect(text).toContain('event: message_stop');
    expect(text).not.toContain('event: error');
    expect(await gw.requestEvent(r.headers['x-request-id'])).toMatchObject({ status: 200, backend: 'healthy', attempts: 2 });
    expect(gw.eventsOf('upstream_error').find((e) => e.requestId === r.headers['x-request-id'])).toMatchObject({
      backend: model,
      reason: 'bad_response',
      retried: true,
    });
    const m = await anthropic.messages.stream({ model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(m.content.length).toBeGreaterThan(0);
  });

  it("the backend's error event after an opening that said nothing is judged as an error answer: a server fault fails over", async () => {
    const r = await messages('engine-dead');
    expect(r.status).toBe(200);
    expect(r.headers['x-aigw-backend']).toBe('healthy');
    expect(r.body.toString()).not.toContain('EngineCore');
    expect(gw.eventsOf('upstream_error').find((e) => e.requestId === r.headers['x-request-id'])).toMatchObject({
      backend: 'engine-dead',
      reason: 'status',
      retried: true,
    });
  });

  it('OpenAI client, Anthropic backend whose message_start is not JSON: fails over, the fallback answers whole', async () => {
    const stream = await openai.chat.completions
      .create({ model: 'claude', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    expect(stream.response.headers.get('x-aigw-backend')).toBe('healthy');
    let text = '';
    for await (const c of stream.data) text += c.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    const id = stream.response.headers.get('x-request-id');
    expect(await gw.requestEvent(id)).toMatchObject({ status: 200, backend: 'healthy', attempts: 2 });
  });

  it('after content went out, a refused event still ends the stream: the client has the error after the words', async () => {
    const r = await messages('late-garble');
    expect(r.status).toBe(200);
    expect(r.headers['x-aigw-backend']).toBe('late-garble');
    const text = r.body.toString();
    expect(text).toContain('"text":"Hel"');
    expect(text).toContain('event: error');
    expect(text).not.toContain('event: message_stop');
  });
});
