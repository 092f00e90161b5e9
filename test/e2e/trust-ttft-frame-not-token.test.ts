/**
 * Time to first token on the pass-through streams is the first token's, not the frame's. A server may open its stream
 * before it generates — an OpenAI-compatible one with the role's chunk (`"delta":{"role":"assistant","content":""}`),
 * an Anthropic-compatible one with its text block opened empty (`content_block_start`, `"text":""`) — and the first
 * token comes after its prefill. The pass-through relays read either as the first output: TTFT (the request event, the
 * `gen_ai_server_time_to_first_token_seconds` histogram, the span, what latency routing learns) was a few milliseconds
 * for a first token 300 ms later, while the same backends translated for the other API's client read 300 ms. Here
 * each backend sends its frame at once and its first token 300 ms later; the four paths must all read ≥ 300 ms.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost, streamedText } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const PREFILL_MS = 300;
const frameThenTokens = (res: ServerResponse, frame: string[], rest: string[]): void => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const e of frame) res.write(e);
  setTimeout(() => res.end(rest.join('')), PREFILL_MS);
};
const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const event = (type: string, o: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...o })}\n\n`;
const MESSAGE = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], stop_reason: null, stop_sequence: null };

const openai = await useUpstream((_q, res) =>
  frameThenTokens(
    res,
    [chunk({ role: 'assistant', content: '', refusal: null })],
    [chunk({ content: 'Hello' }), chunk({}, 'stop'), 'data: [DONE]\n\n'],
  ),
);
const anthropic = await useUpstream((_q, res) =>
  frameThenTokens(
    res,
    [
      event('message_start', { message: { ...MESSAGE, usage: { input_tokens: 3, output_tokens: 1 } } }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      'event: ping\ndata: {"type": "ping"}\n\n',
    ],
    [
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
      event('content_block_stop', { index: 0 }),
      event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }),
      event('message_stop', {}),
    ],
  ),
);
const gw = await useGateway(
  `
version: 1
backends:
  oa: { url: "{{oa}}" }
  an: { url: "{{an}}", kind: anthropic }
models:
  gpt: { targets: [{ backend: oa, model: up }] }
  claude: { targets: [{ backend: an, model: claude-x }] }
`,
  { oa: openai.url, an: anthropic.url },
);

const CASES = [
  { name: 'OpenAI backend, OpenAI client (pass-through)', path: '/v1/chat/completions', model: 'gpt' },
  { name: 'Anthropic backend, Anthropic client (pass-through)', path: '/v1/messages', model: 'claude' },
  { name: 'OpenAI backend, Anthropic client (translated)', path: '/v1/messages', model: 'gpt' },
  { name: 'Anthropic backend, OpenAI client (translated)', path: '/v1/chat/completions', model: 'claude' },
];

describe('time to first token is the first token, not the stream frame', () => {
  it.each(CASES)('$name', async ({ path, model }) => {
    const r = await rawPost(
      `${gw.url}${path}`,
      { model, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], stream: true },
      { headers: { 'anthropic-version': '2023-06-01' } },
    );
    expect(r.status).toBe(200);
    if (path === '/v1/chat/completions') expect(streamedText(r.events)).toBe('Hello');
    const e = await gw.requestEvent(r.headers['x-request-id']);
    expect(e.ttftMs).toBeGreaterThanOrEqual(PREFILL_MS);
    expect(e.ttftMs!).toBeLessThanOrEqual(e.durationMs);
  });
});
