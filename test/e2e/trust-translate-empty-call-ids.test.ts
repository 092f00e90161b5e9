/**
 * Anthropic client → OpenAI backend, parallel tool calls whose ids the backend left empty (`"id": ""`). Streamed,
 * each call got an id of its own (`toolu_<answer id>_<index>`); not streamed, the empty id was kept (`??` where the
 * stream has `||`): both tool_use blocks had id "", and the client's two tool_results named the same "" — the model
 * could not tell which result answered which call. The judge is the official @anthropic-ai/sdk.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-emptyids';
const calls = [
  { id: '', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
  { id: '', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
];

const up = await useUpstream((_req, res, body) => {
  const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt',
        choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: calls }, finish_reason: 'tool_calls' }],
        usage: { prompt_tokens: 30, completion_tokens: 20, total_tokens: 50 },
      }),
    );
    return;
  }
  const chunk = (o: object) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt', ...o })}\n\n`;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(
    calls.map((c, index) => chunk({ choices: [{ index: 0, delta: { tool_calls: [{ index, ...c }] }, finish_reason: null }] })).join('') +
      chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }) +
      chunk({ choices: [], usage: { prompt_tokens: 30, completion_tokens: 20, total_tokens: 50 } }) +
      'data: [DONE]\n\n',
  );
});
const gw = await useGateway(scriptedBackendProfile(KEY), { u: up.url });
const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });

const params = {
  model: 'gpt',
  max_tokens: 100,
  messages: [{ role: 'user' as const, content: 'Weather in Paris and Rome?' }],
  tools: [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }],
};

const ids = (m: Anthropic.Message) => m.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : []));

describe('tool calls with empty ids', () => {
  it('each tool_use has an id of its own, the same streamed or not', async () => {
    const plain = ids(await client.messages.create(params));
    const streamed = ids(await client.messages.stream(params).finalMessage());
    expect(streamed).toHaveLength(2);
    expect(new Set(streamed).size).toBe(2);
    expect(plain).toEqual(streamed);
  });
});
