/**
 * OpenAI client → Anthropic backend, a stop sequence of whitespace alone — `stop: "\n"` (a single-line completion,
 * an autocomplete), `"\n\n"` — which OpenAI's API and vLLM take. Anthropic refuses it (400 "stop_sequences: each stop
 * sequence must contain non-whitespace", BerriAI/litellm#3286, continuedev/continue#1660) and an empty one ("each stop
 * sequence must be non-empty"): every such request to a Claude target failed, streamed or not. Such a sequence is now
 * not sent; the gateway stops the answer there itself — the text cut before its first occurrence, finish_reason
 * `stop`, what came after it not sent — and the stop sequences Anthropic takes still go. The backend here refuses as
 * Anthropic does.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent, anthropicMessage, messageStart } from '../helpers/anthropic-sse.js';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-whitespace-stop';
/** The answer, cut into the deltas a stream sends: the stop `\n` falls inside one, `\n\n` across two. */
const PIECES = ['first li', 'ne\n', '\nsecond', ' line'];
const up = await useUpstream((_req, res, body) => {
  const req = JSON.parse(body) as { stream?: boolean; stop_sequences?: string[] };
  for (const s of req.stop_sequences ?? []) {
    if (s.trim() === '') {
      const message =
        s === ''
          ? 'stop_sequences: each stop sequence must be non-empty'
          : 'stop_sequences: each stop sequence must contain non-whitespace';
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
      return;
    }
  }
  if ((JSON.parse(body) as { messages: { content: string }[] }).messages[0]!.content === 'stall') {
    // Writes on for as long as a real answer would (here, until the client is gone): only the stop ends it.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(messageStart({ input_tokens: 5, output_tokens: 1 }));
    res.write(anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    res.write(anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'one\ntwo' } }));
    return;
  }
  const usage = { input_tokens: 5, output_tokens: 6 };
  if (!req.stream) {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(anthropicMessage([{ type: 'text', text: PIECES.join('') }], 'end_turn', usage));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(messageStart({ input_tokens: 5, output_tokens: 1 }));
  res.write(anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
  for (const text of PIECES) res.write(anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }));
  res.write(anthropicEvent('content_block_stop', { index: 0 }));
  res.write(anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 6 } }));
  res.end(anthropicEvent('message_stop', {}));
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
const messages = [{ role: 'user' as const, content: 'two lines, please' }];
const sent = () => JSON.parse(up.seen.at(-1)!.body) as { stop_sequences?: string[] };

describe('a stop sequence of whitespace alone, to an Anthropic backend', () => {
  it('not streamed: the answer stops at it, finish_reason stop', async () => {
    const a = await client.chat.completions.create({ model: 'claude', messages, stop: '\n' });
    expect(a.choices[0]!.message.content).toBe('first line');
    expect(a.choices[0]!.finish_reason).toBe('stop');
    expect(sent()).not.toHaveProperty('stop_sequences');
  });

  it('streamed: the answer stops at it across deltas, and the sequences Anthropic takes are still sent', async () => {
    const stream = client.chat.completions.stream({
      model: 'claude',
      messages,
      stop: ['\n\n', 'END', ''],
      stream_options: { include_usage: true },
    });
    const done = await stream.finalChatCompletion();
    expect(done.choices[0]!.message.content).toBe('first line');
    expect(done.choices[0]!.finish_reason).toBe('stop');
    expect(done.usage?.prompt_tokens).toBe(5);
    expect(sent().stop_sequences).toEqual(['END']);
  });

  it("streamed, the client has its end at once: the rest of the backend's answer is not waited for", async () => {
    const started = performance.now();
    const done = await client.chat.completions
      .stream({ model: 'claude', messages: [{ role: 'user', content: 'stall' }], stop: '\n' })
      .finalChatCompletion();
    expect(done.choices[0]!.message.content).toBe('one');
    // Not the second's grace a backend talking on after its own end marker gets (relay/exchange.ts AFTER_DONE_MS).
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('a stop that never occurs leaves the answer whole', async () => {
    const a = await client.chat.completions.create({ model: 'claude', messages, stop: ['\t'] });
    expect(a.choices[0]!.message.content).toBe(PIECES.join(''));
    const s = await client.chat.completions.stream({ model: 'claude', messages, stop: ['\t'] }).finalChatCompletion();
    expect(s.choices[0]!.message.content).toBe(PIECES.join(''));
  });
});
