/**
 * A backend's answer id and model name are repeated by the translation: into every chunk of an OpenAI client's stream
 * (an Anthropic backend's message_start names them once), and into the id of each tool call an OpenAI backend left
 * without one (`toolu_<answer id>_<index>`). Neither was bounded but by limits.maxEventBytes (16 MiB) or the response
 * buffer (50 MiB): a message_start naming a 1 MiB model and 64 one-letter text deltas (~6 KB) made 64 MiB reach the
 * client, every one of them built and queued by the gateway within one read — a megabyte a ~90-byte event, 16 MiB one
 * with the default bound, however slowly the client read. As the gateway refuses such a model name from a client and
 * the mocks serve none (MAX_MODEL_NAME): an answer whose id or model name is over 256 characters is not translated —
 * an error frame streamed, a 502 not.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { anthropicEvent as ev } from '../helpers/anthropic-sse.js';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useSseUpstream, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-longnames';
const LONG = 'm'.repeat(2 ** 20);
const DELTAS = 64;

const anthropicStream = (id: string, model: string): string =>
  ev('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      usage: { input_tokens: 5, output_tokens: 1 },
    },
  }) +
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'a' } }).repeat(DELTAS) +
  ev('content_block_stop', { index: 0 }) +
  ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: DELTAS } }) +
  ev('message_stop', {});

/** What a raw client receives of a POST: status and bytes counted, the last bytes kept. */
function post(
  url: string,
  path: string,
  body: object,
  headers: Record<string, string>,
): Promise<{ status: number; bytes: number; tail: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } });
    req.on('response', (res) => {
      let bytes = 0;
      let tail = '';
      res.on('data', (d: Buffer) => {
        bytes += d.length;
        tail = (tail + d.toString('latin1')).slice(-2000);
      });
      res.on('end', () => resolve({ status: res.statusCode!, bytes, tail }));
      res.on('error', () => resolve({ status: res.statusCode!, bytes, tail }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const chatBody = { model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true };
const openAIHeaders = { authorization: `Bearer ${KEY}` };

describe("an Anthropic backend's long model name or id, streamed to an OpenAI client", () => {
  for (const [what, id, model] of [
    ['model name', 'msg_1', LONG],
    ['message id', LONG, 'claude'],
  ] as const) {
    it(`a ${what} of 1 MiB is refused with an error frame, not repeated in each of ${DELTAS} chunks`, async () => {
      const up = await useSseUpstream(anthropicStream(id, model));
      const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
      const r = await post(gw.url, '/v1/chat/completions', chatBody, openAIHeaders);
      expect(r.status).toBe(200);
      expect(r.bytes).toBeLessThan(64 * 1024);
      expect(r.tail).toContain('bad_upstream_response');
      expect(r.tail).not.toContain('[DONE]');
    });
  }

  it('a model name of 256 characters is an answer as before', async () => {
    const up = await useSseUpstream(anthropicStream('msg_1', 'c'.repeat(256)));
    const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
    const r = await post(gw.url, '/v1/chat/completions', chatBody, openAIHeaders);
    expect(r.tail).toContain('[DONE]');
  });
});

const calls = Array.from({ length: DELTAS }, (_, i) => ({ index: i, id: '', type: 'function', function: { name: 'f', arguments: '{}' } }));
const toolUp = await useUpstream((_req, res, body) => {
  const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
  if (!stream) {
    const answer = JSON.stringify({
      id: LONG,
      object: 'chat.completion',
      model: 'gpt',
      choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: calls }, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (o: object) => `data: ${JSON.stringify({ id: LONG, object: 'chat.completion.chunk', model: 'gpt', ...o })}\n\n`;
  res.end(
    calls.map((c) => chunk({ choices: [{ index: 0, delta: { tool_calls: [c] }, finish_reason: null }] })).join('') +
      chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }) +
      'data: [DONE]\n\n',
  );
});
const toolGw = await useGateway(scriptedBackendProfile(KEY), { u: toolUp.url });
const anthropicHeaders = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' };
const params = { model: 'gpt', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

describe("an OpenAI backend's answer id of 1 MiB, made into the ids of the tool calls it left without one", () => {
  it(`streamed: refused with an error frame, not repeated in each of ${DELTAS} tool_use blocks`, async () => {
    const r = await post(toolGw.url, '/v1/messages', { ...params, stream: true }, anthropicHeaders);
    expect(r.status).toBe(200);
    expect(r.bytes).toBeLessThan(64 * 1024);
    expect(r.tail).toContain('event: error');
    expect(r.tail).toContain('an id of 1048576 characters');
    expect(r.tail).not.toContain('message_stop');
  });

  it(`not streamed: a 502 that says why, not a body repeating it ${DELTAS} times`, async () => {
    const r = await post(toolGw.url, '/v1/messages', params, anthropicHeaders);
    expect(r.status).toBe(502);
    expect(r.bytes).toBeLessThan(64 * 1024);
    expect(r.tail).toContain('characters');
  });
});
