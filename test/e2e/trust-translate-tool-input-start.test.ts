/**
 * Anthropic backend → OpenAI client, a stream whose tool_use block opens with a non-empty `input` and then streams
 * input_json_delta as well: the OpenAI client's arguments are the input the Anthropic SDK reads from the same
 * stream, {"b":2} (a delta's JSON replaces the start's input). The start's input went out at once, as the first
 * argument fragment, and the deltas after it: `{"a":1}{"b":2}`, not JSON.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent as ev, messageStart } from '../helpers/anthropic-sse.js';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useSseUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-toolstart';
const STREAM =
  messageStart({ input_tokens: 5, output_tokens: 1 }) +
  ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } } }) +
  ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"b":2}' } }) +
  ev('content_block_stop', { index: 0 }) +
  ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 5 } }) +
  ev('message_stop', {});

const up = await useSseUpstream(STREAM);
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });

describe('a tool_use block that opens with an input and streams input_json_delta too', () => {
  it('the Anthropic SDK reads the input {"b":2}', async () => {
    const direct = new Anthropic({ baseURL: up.url, apiKey: 'x', maxRetries: 0 });
    const m = await direct.messages.stream({ model: 'c', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(m.content[0]).toMatchObject({ type: 'tool_use', input: { b: 2 } });
  });

  it('the OpenAI client gets the same input as its arguments, {"b":2}', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    let args = '';
    const s = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true });
    for await (const c of s) args += c.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
    expect(args).toBe('{"b":2}');
  });
});
