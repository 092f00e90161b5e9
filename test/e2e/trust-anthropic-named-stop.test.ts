/**
 * An Anthropic stream's event is read as the Anthropic SDK reads it (core/streaming.js): without an `event:` line, or
 * named `ping`, it is skipped; named `error`, it throws; any other name is yielded as its data, read by the data's
 * `type`. `event: message_stop` whose data is `{"type":"ping"}` (or a type newer than the reader) mid-stream is no
 * stop to the SDK. Read by its name, it ended the answer — translated, the OpenAI client got "Hello" and a clean
 * [DONE]; passed through, the relay withheld everything after it (the SDK failed, the gateway recorded a finished
 * answer and did not charge the 4,000 output tokens the final usage carried).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent as ev, messageStart } from '../helpers/anthropic-sse.js';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useSseUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-named-stop';
const MIDDLES: [string, string][] = [
  ['named message_stop, data a ping', `event: message_stop\ndata: ${JSON.stringify({ type: 'ping' })}\n\n`],
  [
    'named message_stop, data of a type newer than the reader',
    `event: message_stop\ndata: ${JSON.stringify({ type: 'future_thing' })}\n\n`,
  ],
];
const stream = (middle: string, rest: string, outputTokens: number): string =>
  messageStart({ input_tokens: 5, output_tokens: 1 }) +
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } }) +
  middle +
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: rest } }) +
  ev('content_block_stop', { index: 0 }) +
  ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: outputTokens } }) +
  ev('message_stop', {});

describe.each(MIDDLES)('%s, mid-stream', (_label, middle) => {
  describe('translated for an OpenAI client', async () => {
    const up = await useSseUpstream(stream(middle, ' world', 2));
    const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });

    it('the backend, read by its own SDK, said "Hello world"', async () => {
      const direct = new Anthropic({ baseURL: up.url, apiKey: 'x', maxRetries: 0 });
      const m = await direct.messages.stream({ model: 'c', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
      expect(m.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toBe('Hello world');
    });

    it('the OpenAI client reads "Hello world" too', async () => {
      const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
      const s = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true });
      let text = '';
      for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
      expect(text).toBe('Hello world');
    });
  });

  describe('passed through to an Anthropic client', async () => {
    const rest = ' word'.repeat(4000);
    const up = await useSseUpstream(stream(middle, rest, 4000));
    const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic', limits: '{ tpm: 100000000 }' }), { u: up.url });

    it('the client reads the whole answer and its 4,000 output tokens; the gateway charges them', async () => {
      const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
      const id = `trust-named-stop-${middle.length}`;
      const m = await client.messages
        .stream({ model: 'claude', max_tokens: 8000, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': id } })
        .finalMessage();
      expect(m.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toBe(`Hello${rest}`);
      expect(m.usage.output_tokens).toBe(4000);
      const e = await gw.requestEvent(id);
      expect(e.tokens?.output).toBe(4000);
    });
  });
});
