/**
 * A thinking block without a `signature`: Anthropic opens one with `"signature": ""` and signs it in a signature_delta,
 * but servers of its API that think by default (llama.cpp's before it added the field, others still) open it with
 * `{"type": "thinking", "thinking": ""}` and send no signature at all — which the Anthropic SDK reads, and which no
 * translation needs (an OpenAI client gets the text as reasoning_content; the signature is dropped). The translation
 * read it as a malformed block: every OpenAI client's stream from such a backend was its role chunk and an error frame
 * ("the backend's answer cannot be translated"), every non-streamed answer a 502 counted as the backend's failure —
 * while the same backend served Anthropic clients. (attacker review)
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent, anthropicMessage, messageStart } from '../helpers/anthropic-sse.js';
import { ONE_ANTHROPIC_PROFILE, useGateway } from '../helpers/gateway.js';
import { useStreamOrBodyUpstream } from '../helpers/upstream.js';

const stream =
  messageStart({ input_tokens: 5, output_tokens: 1 }) +
  anthropicEvent('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } }) +
  anthropicEvent('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'two and two' } }) +
  anthropicEvent('content_block_stop', { index: 0 }) +
  anthropicEvent('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }) +
  anthropicEvent('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'four' } }) +
  anthropicEvent('content_block_stop', { index: 1 }) +
  anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 6 } }) +
  anthropicEvent('message_stop', {});
const message = anthropicMessage(
  [
    { type: 'thinking', thinking: 'two and two' },
    { type: 'text', text: 'four' },
  ],
  'end_turn',
  { input_tokens: 5, output_tokens: 6 },
);

const up = await useStreamOrBodyUpstream(stream, message);
const gw = await useGateway(ONE_ANTHROPIC_PROFILE, { u: up.url });
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const messages = [{ role: 'user' as const, content: 'two and two?' }];

describe('an unsigned thinking block from an Anthropic backend, to an OpenAI client', () => {
  it('streamed: the reasoning and the answer, whole', async () => {
    const s = await openai.chat.completions.create({ model: 'claude', messages, stream: true });
    let text = '';
    let reasoning = '';
    for await (const c of s) {
      const delta = c.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
      text += delta?.content ?? '';
      reasoning += delta?.reasoning_content ?? '';
    }
    expect(text).toBe('four');
    expect(reasoning).toBe('two and two');
  });

  it('not streamed: the reasoning and the answer, whole', async () => {
    const c = await openai.chat.completions.create({ model: 'claude', messages });
    expect(c.choices[0]!.message.content).toBe('four');
    expect((c.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBe('two and two');
    expect(c.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 6 });
  });
});
