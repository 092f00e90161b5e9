/**
 * Anthropic backend → OpenAI client, a stream whose message_start already holds content blocks: the Anthropic SDK's
 * message is message_start's, so those blocks are the answer's first (their text, their tool calls with the input they
 * hold, and the deltas that follow for their places). The translation kept their places for the deltas but said nothing
 * of what they held: a backend that sent its answer whole in message_start (text and a tool call) reached openai-node as
 * an empty answer with finish_reason `stop`, where the Anthropic SDK reads the text and the call. Judged by both SDKs.
 * (attacker review)
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent } from '../helpers/anthropic-sse.js';
import { ONE_ANTHROPIC_PROFILE, useGateway } from '../helpers/gateway.js';
import { useSseUpstream } from '../helpers/upstream.js';

const stream =
  anthropicEvent('message_start', {
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [
        { type: 'thinking', thinking: 'the user wants the weather', signature: 'sig' },
        { type: 'text', text: 'Let me look' },
        { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
      ],
      stop_reason: null,
      usage: { input_tokens: 9, output_tokens: 1 },
    },
  }) +
  anthropicEvent('content_block_delta', { index: 1, delta: { type: 'text_delta', text: ' it up.' } }) +
  anthropicEvent('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 20 } }) +
  anthropicEvent('message_stop', {});

const up = await useSseUpstream(stream);
const gw = await useGateway(ONE_ANTHROPIC_PROFILE, { u: up.url });
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });

describe('an Anthropic stream whose message_start holds content, to an OpenAI client', () => {
  it('is what the Anthropic SDK reads of the stream', async () => {
    const direct = new Anthropic({
      apiKey: 'unused',
      maxRetries: 0,
      fetch: async () => new Response(stream, { headers: { 'content-type': 'text/event-stream' } }),
    });
    const m = await direct.messages
      .stream({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'weather?' }] })
      .finalMessage();
    expect(m.content).toMatchObject([
      { type: 'thinking', thinking: 'the user wants the weather' },
      { type: 'text', text: 'Let me look it up.' },
      { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
    ]);
  });

  it("reaches openai-node with the blocks' text, reasoning and tool call, finish_reason tool_calls", async () => {
    const c = await openai.chat.completions
      .stream({ model: 'claude', messages: [{ role: 'user', content: 'weather?' }] })
      .finalChatCompletion();
    const choice = c.choices[0]!;
    expect(choice.message.content).toBe('Let me look it up.');
    expect((choice.message as { reasoning_content?: string }).reasoning_content).toBe('the user wants the weather');
    expect(choice.message.tool_calls).toMatchObject([{ id: 'toolu_1', type: 'function', function: { name: 'weather' } }]);
    expect(JSON.parse((choice.message.tool_calls![0] as { function: { arguments: string } }).function.arguments)).toEqual({
      city: 'Paris',
    });
    expect(choice.finish_reason).toBe('tool_calls');
  });
});
