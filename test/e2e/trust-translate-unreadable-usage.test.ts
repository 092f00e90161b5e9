/**
 * An answer whose usage a backend wrote unreadably (a count as a string, a count left out), translated for a client of
 * the other API. On every other path such a usage is no count (reliability trust 28: the prompt and the answer are
 * counted instead); the translations read the usage as part of the answer and refused the whole of it. OpenAI backend →
 * Anthropic client: a stream that had delivered every word and its finish_reason ended with an error frame at its usage
 * chunk (the Anthropic SDK threw the answer away: "the backend sent a stream event that is not a chat completion
 * chunk"), and the same answer not streamed was a 502 `bad_upstream_response`, another target made to write it again.
 * Anthropic backend → OpenAI client: a stream was refused at its message_start (a 502), or cut with an error frame at its
 * message_delta after the whole text, and a Message was a 502. Now the answer is translated and the usage is none: the
 * client is told the estimate (or 0), accounting counts the answer. Judged by the official SDKs. (attacker review)
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent, anthropicMessage } from '../helpers/anthropic-sse.js';
import { useGateway } from '../helpers/gateway.js';
import { useStreamOrBodyUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-unreadable-usage';
const TEXT = 'Paris is the capital of France.';

/** A backend whose answer is TEXT, its usage `usage` (streamed: the usage-only chunk after the finish). */
function answering(usage: object) {
  const chunk = (o: object) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt', ...o })}\n\n`;
  const stream =
    chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Paris is the ' }, finish_reason: null }] }) +
    chunk({ choices: [{ index: 0, delta: { content: 'capital of France.' }, finish_reason: null }] }) +
    chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
    chunk({ choices: [], usage }) +
    'data: [DONE]\n\n';
  const body = JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt',
    choices: [{ index: 0, message: { role: 'assistant', content: TEXT }, finish_reason: 'stop' }],
    usage,
  });
  return useStreamOrBodyUpstream(stream, body);
}

/** An Anthropic backend whose answer is TEXT, message_start's usage `start`, message_delta's `delta` (the Message's: `start`). */
function answeringAnthropic(start: object, delta: object) {
  const stream =
    anthropicEvent('message_start', {
      message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [], stop_reason: null, usage: start },
    }) +
    anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
    anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: TEXT } }) +
    anthropicEvent('content_block_stop', { index: 0 }) +
    anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: delta }) +
    anthropicEvent('message_stop', {});
  return useStreamOrBodyUpstream(stream, anthropicMessage([{ type: 'text', text: TEXT }], 'end_turn', start));
}

const strings = await answering({ prompt_tokens: '12', completion_tokens: '7', total_tokens: '19' });
const leftOut = await answering({ prompt_tokens: 12 });
const anStrings = await answeringAnthropic({ input_tokens: '12', output_tokens: '1' }, { output_tokens: '7' });
const anDelta = await answeringAnthropic({ input_tokens: 12, output_tokens: 1 }, { output_tokens: '7' });
const gw = await useGateway(
  `
version: 1
backends:
  strings: { url: "{{strings}}" }
  left-out: { url: "{{leftOut}}" }
  an-strings: { url: "{{anStrings}}", kind: anthropic }
  an-delta: { url: "{{anDelta}}", kind: anthropic }
models:
  strings: { targets: [{ backend: strings }] }
  left-out: { targets: [{ backend: left-out }] }
  an-strings: { targets: [{ backend: an-strings }] }
  an-delta: { targets: [{ backend: an-delta }] }
tenants:
  t: { keys: ["${KEY}"] }
`,
  { strings: strings.url, leftOut: leftOut.url, anStrings: anStrings.url, anDelta: anDelta.url },
);

const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
const params = (model: string) => ({ model, max_tokens: 50, messages: [{ role: 'user' as const, content: 'capital of France?' }] });
const textOf = (m: Anthropic.Message) => m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');

describe.each([
  ['strings', 'counts written as strings'],
  ['left-out', 'completion_tokens left out'],
])('an OpenAI backend whose usage cannot be read (%s: %s), to an Anthropic client', (model) => {
  it('streamed: the whole answer, ended properly; its output counted from the events', async () => {
    const id = `unreadable-usage-stream-${model}`;
    const m = await client.messages.stream(params(model), { headers: { 'x-request-id': id } }).finalMessage();
    expect(textOf(m)).toBe(TEXT);
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage.output_tokens).toBeGreaterThan(0);
    const e = await gw.requestEvent(id);
    expect(e.status).toBe(200);
    expect(e.truncated).toBe(false);
    expect(e.tokens.output).toBeGreaterThan(0);
  });

  it('not streamed: the answer, not a 502; its output counted from the body', async () => {
    const id = `unreadable-usage-body-${model}`;
    const m = await client.messages.create(params(model), { headers: { 'x-request-id': id } });
    expect(textOf(m)).toBe(TEXT);
    expect(m.stop_reason).toBe('end_turn');
    // Told the estimate the same answer streamed is told (its text's length / 4), not an output of 0 tokens.
    const streamed = await client.messages.stream(params(model)).finalMessage();
    expect(m.usage.output_tokens).toBe(Math.floor(TEXT.length / 4));
    expect(m.usage.output_tokens).toBe(streamed.usage.output_tokens);
    const e = await gw.requestEvent(id);
    expect(e.status).toBe(200);
    expect(e.attempts).toBe(1);
    expect(e.tokens.output).toBeGreaterThan(0);
  });
});

const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
const ask = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'capital of France?' }] });

describe.each([
  ['an-strings', 'counts written as strings'],
  ['an-delta', "message_delta's output_tokens as a string"],
])('an Anthropic backend whose usage cannot be read (%s: %s), to an OpenAI client', (model) => {
  it('streamed: the whole answer, ended properly (openai-node); its output counted from the events', async () => {
    const id = `unreadable-usage-oa-stream-${model}`;
    const c = await openai.chat.completions
      .stream({ ...ask(model), stream_options: { include_usage: true } }, { headers: { 'x-request-id': id } })
      .finalChatCompletion();
    expect(c.choices[0]!.message.content).toBe(TEXT);
    expect(c.choices[0]!.finish_reason).toBe('stop');
    const e = await gw.requestEvent(id);
    expect(e.status).toBe(200);
    expect(e.truncated).toBe(false);
    expect(e.tokens.output).toBeGreaterThan(0);
  });

  it('not streamed: the answer, not a 502', async () => {
    const id = `unreadable-usage-oa-body-${model}`;
    const c = await openai.chat.completions.create(ask(model), { headers: { 'x-request-id': id } });
    expect(c.choices[0]!.message.content).toBe(TEXT);
    const e = await gw.requestEvent(id);
    expect(e.status).toBe(200);
    expect(e.tokens.output).toBeGreaterThan(0);
  });
});
