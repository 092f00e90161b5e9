/**
 * Anthropic client → OpenAI backend, an answer whose finish_reason is `tool_calls` but that made no tool call. vLLM
 * answers so when tool_choice is `required` (what an Anthropic `tool_choice: {type: "any"}` is sent as) and no call
 * was parsed (vllm-project/vllm#53255). Read as stop_reason `tool_use`, the client got a Message Anthropic never
 * sends — `tool_use` with no tool_use block: a loop on `stop_reason === "tool_use"` (Anthropic's documented one)
 * answers calls there are none of, with an empty user turn, again and again. No call made, the model stopped by
 * itself: end_turn. The judge is the official @anthropic-ai/sdk, plain and streamed.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useScriptedChatUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-emptycalls';
const TEXT = 'There is nothing to look up.';

const up = await useScriptedChatUpstream({
  message: { role: 'assistant', content: TEXT, tool_calls: [] },
  deltas: [{ role: 'assistant', content: TEXT }],
  finish: 'tool_calls',
  usage: { prompt_tokens: 30, completion_tokens: 7 },
});
const gw = await useGateway(scriptedBackendProfile(KEY), { u: up.url });
const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });

const params = {
  model: 'gpt',
  max_tokens: 100,
  messages: [{ role: 'user' as const, content: 'Weather?' }],
  tools: [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }],
  tool_choice: { type: 'any' as const },
};

/** Anthropic's promise: stop_reason tool_use comes with the tool_use blocks to answer. */
function expectAnthropicShape(m: Anthropic.Message): void {
  const calls = m.content.filter((b) => b.type === 'tool_use');
  expect(m.stop_reason === 'tool_use', `stop_reason ${m.stop_reason} with ${calls.length} tool_use blocks`).toBe(calls.length > 0);
}

describe('finish_reason tool_calls with no tool call', () => {
  it('messages.create(): end_turn and the text', async () => {
    const m = await client.messages.create(params);
    expect(m.content).toEqual([{ type: 'text', text: TEXT }]);
    expectAnthropicShape(m);
    expect(m.stop_reason).toBe('end_turn');
  });

  it('messages.stream().finalMessage(): the same', async () => {
    const m = await client.messages.stream(params).finalMessage();
    expect(m.content).toEqual([expect.objectContaining({ type: 'text', text: TEXT })]);
    expectAnthropicShape(m);
    expect(m.stop_reason).toBe('end_turn');
  });
});
