/**
 * OpenAI client → Anthropic backend, an answer whose stop_reason is `tool_use` but that holds no tool_use block. A
 * server of Anthropic's API in front of an OpenAI-style engine answers so when the engine said finish_reason
 * `tool_calls` and parsed no call (vLLM's /v1/messages maps its own finish reason, vllm-project/vllm#53255: an OpenAI
 * `tool_choice: "required"` is sent as Anthropic's `any`). Read as finish_reason `tool_calls`, the OpenAI client got
 * an answer OpenAI never sends — `tool_calls` with no tool_calls: a loop on `finish_reason === "tool_calls"` (OpenAI's
 * documented one) answers calls there are none of, or reads `message.tool_calls` undefined. f21c599 mended the other
 * direction. No call made, the model stopped by itself: `stop`. The judge is openai-node, plain and streamed.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent, anthropicMessage, messageStart } from '../helpers/anthropic-sse.js';
import { ONE_ANTHROPIC_PROFILE, useGateway } from '../helpers/gateway.js';
import { useStreamOrBodyUpstream } from '../helpers/upstream.js';

const TEXT = 'There is nothing to look up.';
const stream =
  messageStart({ input_tokens: 30, output_tokens: 1 }) +
  anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: TEXT } }) +
  anthropicEvent('content_block_stop', { index: 0 }) +
  anthropicEvent('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 7 } }) +
  anthropicEvent('message_stop', {});
const message = anthropicMessage([{ type: 'text', text: TEXT }], 'tool_use', { input_tokens: 30, output_tokens: 7 });

const up = await useStreamOrBodyUpstream(stream, message);
const gw = await useGateway(ONE_ANTHROPIC_PROFILE, { u: up.url });
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const params = {
  model: 'claude',
  messages: [{ role: 'user' as const, content: 'Weather?' }],
  tools: [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
  tool_choice: 'required' as const,
};

/** OpenAI's promise: finish_reason tool_calls comes with the tool calls to answer. */
function expectOpenAIShape(c: OpenAI.ChatCompletion): void {
  const choice = c.choices[0]!;
  const calls = choice.message.tool_calls?.length ?? 0;
  expect(choice.finish_reason === 'tool_calls', `finish_reason ${choice.finish_reason} with ${calls} tool calls`).toBe(calls > 0);
  expect(choice.message.content).toBe(TEXT);
}

describe('stop_reason tool_use with no tool_use block', () => {
  it('not streamed: finish_reason stop, the text kept', async () => {
    expectOpenAIShape(await openai.chat.completions.create(params));
  });

  it('streamed: finish_reason stop, the text kept', async () => {
    expectOpenAIShape(await openai.chat.completions.stream(params).finalChatCompletion());
  });
});
