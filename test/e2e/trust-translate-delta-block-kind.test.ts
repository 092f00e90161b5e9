/**
 * Anthropic backend → OpenAI client, text deltas for blocks that are not text. The Anthropic SDK adds a delta to the block
 * at its index's place (`content.at(index)`) and only to a block of the delta's kind: a text_delta into a thinking block,
 * or into a tool_use block after that block's stop, is nothing to it. The translator dropped such a delta only for a
 * tool_use block still open: the others reached openai-node as the answer's content — a thinking block's text shown as
 * the answer, where the backend's own SDK reads only "Answer".
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent as ev, messageStart } from '../helpers/anthropic-sse.js';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useSseUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-delta-kind';
const STREAM =
  messageStart({ input_tokens: 5, output_tokens: 1 }) +
  ev('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }) +
  ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'Let me see.' } }) +
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'private reasoning ' } }) +
  ev('content_block_stop', { index: 0 }) +
  ev('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }) +
  ev('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'Answer' } }) +
  ev('content_block_delta', { index: 1, delta: { type: 'thinking_delta', thinking: ' not thinking' } }) +
  ev('content_block_stop', { index: 1 }) +
  ev('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } }) +
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } }) +
  ev('content_block_stop', { index: 2 }) +
  ev('content_block_delta', { index: 2, delta: { type: 'text_delta', text: ' after the call' } }) +
  ev('content_block_delta', { index: 7, delta: { type: 'text_delta', text: ' into no block' } }) +
  ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }) +
  ev('message_stop', {});

const up = await useSseUpstream(STREAM);
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
const ask = [{ role: 'user' as const, content: 'hi' }];

describe('a text or thinking delta for a block of another kind', () => {
  it('the backend, read by its own SDK, answered "Answer", thought "Let me see." and called f', async () => {
    const direct = new Anthropic({ baseURL: up.url, apiKey: 'x', maxRetries: 0 });
    const m = await direct.messages.stream({ model: 'c', max_tokens: 10, messages: ask }).finalMessage();
    expect(m.content).toEqual([
      { type: 'thinking', thinking: 'Let me see.', signature: '' },
      { type: 'text', text: 'Answer' },
      { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
    ]);
  });

  it('openai-node reads the same through the gateway', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const c = await client.chat.completions.stream({ model: 'claude', messages: ask }).finalChatCompletion();
    const m = c.choices[0]!.message as (typeof c.choices)[0]['message'] & { reasoning_content?: string };
    expect(m.content).toBe('Answer');
    expect(m.reasoning_content).toBe('Let me see.');
    expect(m.tool_calls?.map((t) => (t.type === 'function' ? [t.id, t.function.arguments] : []))).toEqual([['toolu_1', '{"a":1}']]);
  });
});
