/**
 * Anthropic client → OpenAI backend, parallel tool calls whose ids the backend left empty (`"id": ""`). Streamed,
 * each call got an id of its own (`toolu_<answer id>_<index>`); not streamed, the empty id was kept (`??` where the
 * stream has `||`): both tool_use blocks had id "", and the client's two tool_results named the same "" — the model
 * could not tell which result answered which call. The judge is the official @anthropic-ai/sdk.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useScriptedChatUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-emptyids';
const calls = [
  { id: '', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
  { id: '', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
];

const up = await useScriptedChatUpstream({
  message: { role: 'assistant', content: null, tool_calls: calls },
  deltas: calls.map((c, index) => ({ tool_calls: [{ index, ...c }] })),
  finish: 'tool_calls',
  usage: { prompt_tokens: 30, completion_tokens: 20 },
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
