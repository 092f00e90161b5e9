/**
 * The stream relays a translating or Anthropic pass-through attempt uses, without a socket (fast-check): an
 * upstream cut at any byte offsets gives the client exactly what the whole stream gives — translated frames,
 * or the very same bytes —, the first content is timed once, usage and the end are read, an event over
 * maxEventBytes is refused, and a backend's error event ends the stream with one frame.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aigwError } from '../../../src/core/errors.js';
import { AnthropicSseRelay } from '../../../src/relay/anthropic-sse-relay.js';
import type { Downstream } from '../../../src/relay/downstream.js';
import type { StreamRelay } from '../../../src/relay/stream-relay.js';
import { TranslatedSseRelay } from '../../../src/relay/translated-sse-relay.js';
import { ChatToMessagesStream } from '../../../src/translate/anthropic-openai-stream.js';
import { MessagesToChatStream } from '../../../src/translate/openai-anthropic-stream.js';
import type { StreamTranslator } from '../../../src/translate/stream.js';
import { anthropicEvent, messageStart } from '../../helpers/anthropic-sse.js';
import { translateBody } from '../../helpers/sse-accumulate.js';

const RUNS = { numRuns: 200 };

/** A Downstream that only collects what is written. */
function sink(): { out: Downstream; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const write = (c: Buffer | string) => parts.push(Buffer.from(c));
  return {
    out: { write, end: (c?: Buffer | string) => c !== undefined && write(c) } as unknown as Downstream,
    bytes: () => Buffer.concat(parts),
  };
}

/** A translated relay writing into `s`, with no limit worth meeting and nothing to scrub. */
const translatedInto = (s: { out: Downstream }, t: StreamTranslator) =>
  new TranslatedSseRelay(
    s.out,
    t,
    () => {},
    1 << 20,
    (x) => x,
  );

/** Feeds `body` in pieces cut at `cuts` (sorted offsets), then ends the upstream. */
function feed(relay: StreamRelay, body: Buffer, cuts: number[]): boolean {
  let at = 0;
  for (const c of [...cuts, body.length]) {
    if (c <= at) continue;
    if (!relay.push(body.subarray(at, c))) return false;
    at = c;
  }
  relay.flushHeld(!relay.sawDone);
  return true;
}

const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
const chatStream = fc.array(text, { minLength: 1, maxLength: 8 }).map((pieces) => {
  const head = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm' };
  const chunk = (o: object) => `data: ${JSON.stringify({ ...head, ...o })}\n\n`;
  return Buffer.from(
    chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }) +
      pieces.map((p) => chunk({ choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })).join('') +
      chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }] }) +
      chunk({ choices: [], usage: { prompt_tokens: 7, completion_tokens: pieces.length, total_tokens: 7 + pieces.length } }) +
      'data: [DONE]\n\n',
  );
});
const ev = anthropicEvent;
const messagesStream = fc
  .array(text, { minLength: 1, maxLength: 8 })
  .map((pieces) =>
    Buffer.from(
      messageStart({ input_tokens: 9, output_tokens: 0, cache_read_input_tokens: 4 }) +
        ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
        ': keep-alive\n\n' +
        pieces.map((p) => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } })).join('') +
        ev('content_block_stop', { index: 0 }) +
        ev('message_delta', { delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: pieces.length } }) +
        ev('message_stop', {}),
    ),
  );
const cutsOf = (body: fc.Arbitrary<Buffer>) =>
  body.chain((b) => fc.tuple(fc.constant(b), fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, b.length - 1) }), { maxLength: 12 })));

describe('TranslatedSseRelay', () => {
  it('an OpenAI stream cut anywhere gives the Anthropic client what the whole stream translates to', () => {
    fc.assert(
      fc.property(cutsOf(chatStream), ([body, cuts]) => {
        const s = sink();
        let firsts = 0;
        const relay = new TranslatedSseRelay(
          s.out,
          new ChatToMessagesStream('m'),
          () => firsts++,
          1 << 20,
          (t) => t,
        );
        expect(
          feed(
            relay,
            body,
            cuts.sort((a, b) => a - b),
          ),
        ).toBe(true);
        expect(s.bytes().toString()).toBe(translateBody(new ChatToMessagesStream('m'), body));
        expect(firsts).toBe(1);
        expect(relay.sawDone).toBe(true);
        expect(relay.failed).toBeUndefined();
        expect(relay.usage).toMatchObject({ prompt: 7 });
        expect(relay.model).toBe('m');
      }),
      RUNS,
    );
  });

  it('an Anthropic stream cut anywhere gives the OpenAI client what the whole stream translates to', () => {
    fc.assert(
      fc.property(cutsOf(messagesStream), ([body, cuts]) => {
        const s = sink();
        const opts = { requestModel: 'claude', includeUsage: true, created: 1 };
        const relay = translatedInto(s, new MessagesToChatStream(opts));
        feed(
          relay,
          body,
          cuts.sort((a, b) => a - b),
        );
        expect(s.bytes().toString()).toBe(translateBody(new MessagesToChatStream(opts), body));
        expect(relay.usage).toEqual({ prompt: 13, completion: expect.any(Number), cached: 4 });
      }),
      RUNS,
    );
  });

  it('refuses an event that grows past maxEventBytes, holding no more than that', () => {
    const relay = new TranslatedSseRelay(
      sink().out,
      new ChatToMessagesStream('m'),
      () => {},
      1024,
      (t) => t,
    );
    expect(relay.push(Buffer.from(`data: {"x":"${'y'.repeat(600)}`))).toBe(true);
    expect(relay.holding).toBe(true);
    expect(relay.push(Buffer.from('z'.repeat(600)))).toBe(false);
  });

  it('a backend error frame ends the stream with one client error frame; nothing after it', () => {
    const s = sink();
    const relay = translatedInto(s, new ChatToMessagesStream('m'));
    relay.push(Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: {"error":{"message":"boom"}}\n\n'));
    expect(relay.failed?.code).toBe('upstream_stream_error');
    relay.push(Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"late"}}]}\n\n'));
    expect(relay.errorFrame(aigwError('upstream_stream_error', 'again'))).toBe('');
    const out = s.bytes().toString();
    expect(out.match(/event: error/g)).toHaveLength(1);
    expect(out).not.toContain('late');
  });

  it('a clean end before the answer finished writes the client’s error frame, never message_stop', () => {
    const s = sink();
    const relay = translatedInto(s, new ChatToMessagesStream('m'));
    relay.push(Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'));
    relay.flushHeld(true);
    expect(relay.sawDone).toBe(false);
    expect(s.bytes().toString()).toMatch(/event: error\n/);
    expect(s.bytes().toString()).not.toContain('message_stop');
  });
});

describe('a translated stream whose last event never ends', () => {
  // Streams without their stop reason (finish_reason, message_delta), ending in an end marker that lost its
  // blank line. (After a stop reason a clean end finishes the answer whatever follows: translate/stream.ts.)
  const cases = [
    [
      'an Anthropic backend',
      messagesStream.map((b) => b.toString().replace(/event: message_delta\n.*\n\n/, '')),
      'event: message_stop\ndata: {"type":"message_stop"}',
      () => new MessagesToChatStream({ requestModel: 'claude', includeUsage: true, created: 1 }),
      'upstream_stream_error',
    ],
    [
      'an OpenAI backend',
      chatStream.map((b) => b.toString().replace(/data: [^\n]*"finish_reason":"length"[^\n]*\n\n/, '')),
      'data: [DONE]',
      () => new ChatToMessagesStream('m'),
      'event: error',
    ],
  ] as const;
  it.each(cases)('from %s is cut for the client, not completed by its end marker', (_what, stream, marker, translator, errorFrame) => {
    fc.assert(
      fc.property(stream, fc.uniqueArray(fc.nat(), { maxLength: 12 }), (text, cuts) => {
        expect(text).toContain(`${marker}\n\n`);
        const body = Buffer.from(text.replace(`${marker}\n\n`, marker));
        const s = sink();
        const relay = translatedInto(s, translator());
        feed(
          relay,
          body,
          [...new Set(cuts.map((c) => c % body.length))].sort((a, b) => a - b),
        );
        expect(relay.sawDone).toBe(false);
        expect(s.bytes().toString()).toContain(errorFrame);
      }),
      RUNS,
    );
  });
});

describe('AnthropicSseRelay (pass-through)', () => {
  it('passes the bytes through exactly, cut anywhere, and reads usage, the end and the first content', () => {
    fc.assert(
      fc.property(cutsOf(messagesStream), ([body, cuts]) => {
        const s = sink();
        let firsts = 0;
        const relay = new AnthropicSseRelay(
          s.out,
          () => firsts++,
          1 << 20,
          (t) => t,
        );
        feed(
          relay,
          body,
          cuts.sort((a, b) => a - b),
        );
        expect(s.bytes().equals(body)).toBe(true);
        expect(firsts).toBe(1);
        expect(relay.sawDone).toBe(true);
        expect(relay.usage).toMatchObject({ prompt: 13, cached: 4 });
        expect(relay.model).toBe('claude');
      }),
      RUNS,
    );
  });

  it('a backend error event reaches the client as sent (secrets removed), once, and ends the stream', () => {
    const s = sink();
    const relay = new AnthropicSseRelay(
      s.out,
      () => {},
      1 << 20,
      (t) => t.replaceAll('sk-backend-key', '[redacted]'),
    );
    relay.push(Buffer.from(ev('error', { error: { type: 'overloaded_error', message: 'Overloaded for sk-backend-key' } })));
    expect(relay.failed?.message).toMatch(/overloaded_error/);
    expect(relay.errorFrame(aigwError('upstream_stream_error', 'x'))).toBe('');
    expect(s.bytes().toString()).toBe(ev('error', { error: { type: 'overloaded_error', message: 'Overloaded for [redacted]' } }));
  });

  it('a translated backend error never carries a configured secret to the client', () => {
    const s = sink();
    const relay = new TranslatedSseRelay(
      s.out,
      new ChatToMessagesStream('m'),
      () => {},
      1 << 20,
      (t) => t.replaceAll('sk-backend-key', '[redacted]'),
    );
    relay.push(Buffer.from('data: {"error":{"message":"bad key sk-backend-key"}}\n\n'));
    expect(s.bytes().toString()).toContain('bad key [redacted]');
    expect(s.bytes().toString()).not.toContain('sk-backend-key');
  });

  it('holds back what a backend sends after message_stop, uncounted: the client gets the answer up to its end', () => {
    const s = sink();
    const relay = new AnthropicSseRelay(
      s.out,
      () => {},
      1 << 20,
      (t) => t,
    );
    const answer =
      messageStart({ input_tokens: 9, output_tokens: 1 }) +
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'done' } }) +
      ev('content_block_stop', { index: 0 }) +
      ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }) +
      ev('message_stop', {});
    const after =
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ' EXTRA' } }) +
      ev('message_delta', { delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 999 } }) +
      'event: message_stop\ndata: {"type":"mess';
    feed(relay, Buffer.from(answer + after), [answer.length + 3]);
    expect(s.bytes().toString()).toBe(answer);
    expect(relay.usage).toMatchObject({ completion: 2 });
  });

  it('a stream cut without message_stop is not done, and its frame is Anthropic’s', () => {
    const relay = new AnthropicSseRelay(
      sink().out,
      () => {},
      1 << 20,
      (t) => t,
    );
    relay.push(Buffer.from(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'x' } })));
    expect(relay.sawDone).toBe(false);
    expect(relay.errorFrame(aigwError('upstream_stream_error', 'cut'))).toMatch(
      /^event: error\ndata: \{"type":"error","error":\{"type":"api_error"/,
    );
  });
});
