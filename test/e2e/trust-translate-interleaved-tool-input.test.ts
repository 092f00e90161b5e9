/**
 * Anthropic backend → OpenAI client, two tool_use blocks open at once whose input_json_delta events interleave (block 0,
 * then 1, then 0 again). Anthropic sends one block at a time, but the Anthropic SDK reads each delta into the block at its
 * index, so the backend's own SDK reads two whole calls. The translation sent each delta as it came, under its call's
 * index: openai-node's chat.completions.stream() takes a call as done when a chunk names another one, and parses a strict
 * tool's arguments there — `{"city":` for call 0, a SyntaxError that threw the whole answer away. Now a call's chunks
 * reach the client together: a call opened while an earlier one is open is held until the earlier one's block stops.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent as ev, messageStart } from '../helpers/anthropic-sse.js';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useSseUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-interleaved-tools';
const json = (index: number, partial_json: string) =>
  ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
const STREAM =
  messageStart({ input_tokens: 5, output_tokens: 1 }) +
  ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_a', name: 'weather', input: {} } }) +
  json(0, '{"city":') +
  ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_b', name: 'time', input: {} } }) +
  json(1, '{"zone":') +
  json(0, '"Paris"}') +
  json(1, '"CET"}') +
  ev('content_block_stop', { index: 0 }) +
  ev('content_block_stop', { index: 1 }) +
  ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }) +
  ev('message_stop', {});

/** The same calls, block 1 stopped first and block 0 never (message_delta ends it), a text block between. */
const OUT_OF_ORDER =
  messageStart({ input_tokens: 5, output_tokens: 1 }) +
  ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_a', name: 'weather', input: {} } }) +
  json(0, '{"city":') +
  ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_b', name: 'time', input: {} } }) +
  json(1, '{"zone":"CET"}') +
  ev('content_block_stop', { index: 1 }) +
  ev('content_block_start', { index: 2, content_block: { type: 'text', text: '' } }) +
  ev('content_block_delta', { index: 2, delta: { type: 'text_delta', text: 'Checking.' } }) +
  ev('content_block_stop', { index: 2 }) +
  json(0, '"Paris"}') +
  ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }) +
  ev('message_stop', {});

const up = await useSseUpstream(STREAM);
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
const up2 = await useSseUpstream(OUT_OF_ORDER);
const gw2 = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up2.url });
const ask = [{ role: 'user' as const, content: 'weather and time in Paris?' }];
const strict = (name: string, key: string) => ({
  type: 'function' as const,
  function: {
    name,
    strict: true,
    parameters: { type: 'object', properties: { [key]: { type: 'string' } }, required: [key], additionalProperties: false },
  },
});

describe('interleaved input of two open tool_use blocks', () => {
  it('the backend, read by its own SDK, called weather(Paris) and time(CET)', async () => {
    const direct = new Anthropic({ baseURL: up.url, apiKey: 'x', maxRetries: 0 });
    const m = await direct.messages.stream({ model: 'c', max_tokens: 10, messages: ask }).finalMessage();
    expect(m.content.map((b) => (b.type === 'tool_use' ? [b.id, b.input] : []))).toEqual([
      ['toolu_a', { city: 'Paris' }],
      ['toolu_b', { zone: 'CET' }],
    ]);
  });

  it.each([
    ['stopped in order', () => gw.url],
    ['stopped out of order, text between', () => gw2.url],
  ])('openai-node with strict tools reads the same two calls through the gateway (%s)', async (_name, url) => {
    const client = new OpenAI({ baseURL: `${url()}/v1`, apiKey: KEY, maxRetries: 0 });
    const done: [number, string][] = [];
    const stream = client.chat.completions.stream({
      model: 'claude',
      messages: ask,
      tools: [strict('weather', 'city'), strict('time', 'zone')],
    });
    stream.on('tool_calls.function.arguments.done', (e) => done.push([e.index, e.arguments]));
    const c = await stream.finalChatCompletion();
    const calls = c.choices[0]!.message.tool_calls ?? [];
    expect(calls.map((t) => (t.type === 'function' ? [t.id, t.function.name, t.function.arguments] : []))).toEqual([
      ['toolu_a', 'weather', '{"city":"Paris"}'],
      ['toolu_b', 'time', '{"zone":"CET"}'],
    ]);
    expect(done).toEqual([
      [0, '{"city":"Paris"}'],
      [1, '{"zone":"CET"}'],
    ]);
    expect(c.choices[0]!.finish_reason).toBe('tool_calls');
  });
});
