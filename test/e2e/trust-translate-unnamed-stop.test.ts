/**
 * Anthropic backend → OpenAI client, a stream: an event is read by its `event:` line, as the Anthropic SDKs read it
 * (they skip one without it) and as the pass-through does (translate/anthropic-tap.ts). Read by its data's `type`,
 * an unnamed `{"type":"message_stop"}` mid-stream ended the translated answer with a clean `[DONE]`: the OpenAI
 * client got a silently cut answer ("Hello") where the backend's own answer, as its SDK reads it, is "Hello world".
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent as ev, messageStart } from '../helpers/anthropic-sse.js';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useSseUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-unnamed';
const STREAM =
  messageStart({ input_tokens: 5, output_tokens: 1 }) +
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } }) +
  // No `event:` line: not an event to the Anthropic SDK.
  `data: ${JSON.stringify({ type: 'message_stop' })}\n\n` +
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ' world' } }) +
  ev('content_block_stop', { index: 0 }) +
  ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }) +
  ev('message_stop', {});

const up = await useSseUpstream(STREAM);
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });

describe('an unnamed message_stop in the middle of an Anthropic stream', () => {
  it('the backend, read by its own SDK, said "Hello world"', async () => {
    const direct = new Anthropic({ baseURL: up.url, apiKey: 'x', maxRetries: 0 });
    const m = await direct.messages.stream({ model: 'c', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(m.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toBe('Hello world');
  });

  it('the OpenAI client gets the whole answer or an error — never a clean end after "Hello"', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    let text = '';
    let error: unknown;
    try {
      const s = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true });
      for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
    } catch (e) {
      error = e;
    }
    expect(error !== undefined || text === 'Hello world', `clean end with ${JSON.stringify(text)}`).toBe(true);
  });
});
