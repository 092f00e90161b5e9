/**
 * `--api anthropic`: the bench reads a target's stream as @anthropic-ai/sdk reads it, and the SDK itself is the judge
 * here, on the same target — an event without an `event:` line (or named ping) is nothing to it, one named `error` is
 * the stream's failure, and a named event whose data is not JSON throws. The bench read every event by its data's type
 * alone: a stream whose `event:` lines a gateway dropped was a whole answer, all its text counted, where the SDK read
 * nothing; a delta of garbled data the SDK throws on was skipped and the stream counted whole.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { stream as benchStream } from '../../../src/bench/client.js';
import { anthropicEvent, messageStart } from '../../helpers/anthropic-sse.js';
import { benchContext } from '../../helpers/bench-context.js';
import { loadReads as loadReadsAs, streamTarget } from '../../helpers/bench-stream.js';

const start = messageStart({ input_tokens: 3, output_tokens: 1 });
const blockStart = anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
const delta = (text: string) => anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
const blockStop = anthropicEvent('content_block_stop', { index: 0 });
const messageDelta = anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } });
const stop = anthropicEvent('message_stop', {});
const whole = (...middle: string[]) => [start, blockStart, ...middle, blockStop, messageDelta, stop].join('');
/** The same events with their `event:` lines dropped (a proxy that rewrote the stream and kept only the data). */
const unnamed = (events: string) => events.replace(/^event: .*\n/gm, '');

/** What the SDK makes of the stream: the text of its final Message, or the failure it throws. */
async function sdkReads(url: string): Promise<{ text: string } | { failed: string }> {
  const client = new Anthropic({ baseURL: url, apiKey: 'k', maxRetries: 0 });
  try {
    const m = await client.messages.stream({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).finalMessage();
    return { text: m.content.map((b) => (b.type === 'text' ? b.text : '')).join('') };
  } catch (e) {
    return { failed: (e as Error).constructor.name };
  }
}

/** One streamed request through the load (BenchExchange), its text kept. */
const loadReads = (url: string) => loadReadsAs(url, 'anthropic');

/** The text the single-request client (long, sweep) hands its observer, and whether it saw the end. */
async function clientReads(url: string): Promise<{ text: string; done: boolean; invalid: number }> {
  let text = '';
  let done = false;
  let invalid = 0;
  await benchStream(
    benchContext({ url, mocks: {} }, { api: 'anthropic' }),
    { model: 'm', messages: [], max_tokens: 5 },
    {
      onEvent: (ev) => {
        if (ev.data === '[DONE]') return void (done = true);
        const c = JSON.parse(ev.data ?? '') as { choices?: { delta?: { content?: string } }[]; error?: { code?: string } };
        if (c.error?.code === 'invalid_event') invalid++;
        text += c.choices?.[0]?.delta?.content ?? '';
      },
    },
  );
  return { text, done, invalid };
}

describe('the bench reads an Anthropic stream as the SDK does (--api anthropic)', () => {
  it('reads a well-formed stream whole, as the SDK does (the control)', async () => {
    const url = await streamTarget(whole(delta('Hello'), delta(' there')));
    expect(await sdkReads(url)).toEqual({ text: 'Hello there' });
    expect(await loadReads(url)).toMatchObject({ ok: true, text: 'Hello there', contentEvents: 2 });
    expect(await clientReads(url)).toEqual({ text: 'Hello there', done: true, invalid: 0 });
  });

  it('counts a stream without its event: lines as the failure the SDK reads, not as a whole answer', async () => {
    const url = await streamTarget(unnamed(whole(delta('Hello'), delta(' there'))));
    expect(await sdkReads(url)).toMatchObject({ failed: expect.any(String) });
    const r = await loadReads(url);
    expect(r).toMatchObject({ ok: false, code: 'incomplete_stream' });
    expect(r.contentEvents ?? 0).toBe(0);
    expect(await clientReads(url)).toEqual({ text: '', done: false, invalid: 0 });
  });

  it('counts no text of unnamed deltas or deltas named ping, which the SDK skips', async () => {
    const pingDelta = delta(' pinged').replace('event: content_block_delta', 'event: ping');
    const url = await streamTarget(whole(delta('Hello'), unnamed(delta(' unnamed')), pingDelta));
    expect(await sdkReads(url)).toEqual({ text: 'Hello' });
    expect(await loadReads(url)).toMatchObject({ ok: true, text: 'Hello', contentEvents: 1 });
    expect(await clientReads(url)).toEqual({ text: 'Hello', done: true, invalid: 0 });
  });

  it('counts a named event whose data is not JSON as an event no client could read, though message_stop came', async () => {
    for (const garbled of ['{"type":"content_block_delta","ind', '[DONE]']) {
      const url = await streamTarget(whole(delta('Hello'), `event: content_block_delta\ndata: ${garbled}\n\n`));
      expect(await sdkReads(url), garbled).toEqual({ failed: 'AnthropicError' });
      expect(await loadReads(url), garbled).toMatchObject({ ok: false, code: 'invalid_event' });
      expect(await clientReads(url), garbled).toEqual({ text: 'Hello', done: true, invalid: 1 });
    }
    // A named message_stop whose data is [DONE] is no end to the SDK either.
    const url = await streamTarget([start, blockStart, delta('Hello'), 'event: message_stop\ndata: [DONE]\n\n'].join(''));
    expect(await sdkReads(url)).toEqual({ failed: 'AnthropicError' });
    expect(await loadReads(url)).toMatchObject({ ok: false, code: 'invalid_event' });
  });

  it('counts an event named error as the stream failing, whatever its data says it is', async () => {
    const url = await streamTarget(whole(delta('Hello'), 'event: error\ndata: {"type":"ping"}\n\n'));
    expect(await sdkReads(url)).toEqual({ failed: 'APIError' });
    expect(await loadReads(url)).toMatchObject({ ok: false, code: 'error' });
  });
});
