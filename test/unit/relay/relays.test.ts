/**
 * The SSE and body relays on a fake client response, without a socket: bytes pass through untouched and
 * event by event, usage is found, the usage chunk aigw asked for is held back, and buffered bodies keep
 * their limits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyRelay, type BufferPolicy } from '../../../src/relay/body-relay.js';
import { textChars } from '../../../src/relay/sse-bytes.js';
import { SseRelay } from '../../../src/relay/sse-relay.js';
import { DecodingRelay, fakeClient, relayOn } from '../../helpers/relay-client.js';

const events = [
  'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n',
  ': ping\n\n',
  'data: {"choices":[{"index":0,"delta":{"content":"北京 🌍"}}]}\n\n',
  'data: {"choices":[{"index":0,"delta":{"content":" done"},"finish_reason":"stop"}]}\n\n',
  'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}\n\n',
  'data: [DONE]\n\n',
];
const stream = Buffer.from(events.join(''));

/** Pushes `bytes` in reads cut at `cuts` (any naturals: taken modulo its length), then ends the upstream. */
function pushCut(relay: SseRelay, bytes: Buffer, cuts: number[]): void {
  let at = 0;
  for (const cut of [...cuts.map((x) => x % bytes.length).sort((a, b) => a - b), bytes.length]) {
    if (cut <= at) continue;
    relay.push(bytes.subarray(at, cut));
    at = cut;
  }
  relay.flushHeld(!relay.sawDone);
}

describe('the SSE relay', () => {
  it('passes any split of a stream through byte for byte, writing what each read completes, and finds usage and [DONE]', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const { c, relay } = relayOn(SseRelay, false, 1024 * 1024);
        let at = 0;
        for (const cut of [...cuts.sort((a, b) => a - b), stream.length]) {
          relay.push(stream.subarray(at, cut));
          at = cut;
        }
        expect(c.text()).toBe(stream.toString());
        // Nothing complete is held back: every write ends at an event boundary.
        for (const w of c.writes) expect(w.toString().endsWith('\n\n')).toBe(true);
        expect(relay.sawDone).toBe(true);
        expect(relay.outputEvents).toBe(3);
        expect(relay.usage).toEqual({ prompt: 7, completion: 3 });
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['LF', stream],
    ['CRLF', Buffer.from(stream.toString().replace(/\n/g, '\r\n'))],
  ])('passes a %s stream read in one piece in one write (the fast path, and the decoder’s path a CR takes)', (_eol, bytes) => {
    const { c, relay } = relayOn(SseRelay, false, 1024 * 1024);
    relay.push(bytes);
    expect(Buffer.concat(c.writes).equals(bytes)).toBe(true);
    expect(c.writes).toHaveLength(1);
    expect(relay.usage).toEqual({ prompt: 7, completion: 3 });
  });

  it('holds back exactly the usage chunk it asked for, byte for byte, whatever the line endings and the reads', () => {
    const withheld = events.filter((e) => !e.includes('"usage"'));
    fc.assert(
      fc.property(fc.constantFrom('\n', '\r\n', '\r'), fc.uniqueArray(fc.nat(), { maxLength: 12 }), (eol, cuts) => {
        const bytes = Buffer.from(events.join('').replaceAll('\n', eol));
        const { c, relay } = relayOn(SseRelay, true, 1024 * 1024);
        pushCut(relay, bytes, cuts);
        expect(c.text()).toBe(withheld.join('').replaceAll('\n', eol));
        expect(relay.usage).toEqual({ prompt: 7, completion: 3 });
      }),
      { numRuns: 1000 },
    );
  });

  it('holds back the usage chunk it asked for on the client’s behalf', () => {
    const { c, relay } = relayOn(SseRelay, true, 1024 * 1024);
    relay.push(stream);
    expect(c.text()).not.toContain('"usage"');
    expect(relay.usage).toEqual({ prompt: 7, completion: 3 });
  });

  it('keeps [DONE] the last event: what a backend sends after it (chunks, comments, an error) does not go, however read', () => {
    const after = 'data: {"choices":[{"index":0,"delta":{"content":"late"}}]}\n\n: ping\n\ndata: {"error":{"message":"late"}}\n\ndata: {"x';
    const bytes = Buffer.from(events.join('') + after);
    fc.assert(
      fc.property(fc.constantFrom('\n', '\r\n'), fc.uniqueArray(fc.nat(), { maxLength: 8 }), (eol, cuts) => {
        const b = Buffer.from(bytes.toString().replaceAll('\n', eol));
        const { c, relay } = relayOn(SseRelay, false, 1024 * 1024);
        pushCut(relay, b, cuts);
        expect(c.text()).toBe(events.join('').replaceAll('\n', eol));
        expect(relay.failed).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('does not relay `[DONE]x`: an SDK stops at it and would read neither the rest nor the cut frame', () => {
    for (const near of ['data: [DONE]x\n\n', 'data:[DONE] \n\n']) {
      const { c, relay } = relayOn(SseRelay, false, 1024 * 1024);
      relay.push(Buffer.from(events[0]! + near + events[2]!));
      expect(c.text()).toBe(events[0]! + events[2]!);
      expect(relay.sawDone).toBe(false);
    }
  });

  it('refuses to hold an event past maxEventBytes', () => {
    const c = fakeClient();
    const relay = new SseRelay(c.out, false, () => {}, 1000);
    expect(relay.push(Buffer.from(`data: ${'x'.repeat(990)}`))).toBe(true);
    expect(relay.push(Buffer.from('xxxxxx'))).toBe(false);
  });
});

describe("an OpenAI stream's output, estimated from its events (for a stream that ends before its usage)", () => {
  const chunk = (delta: object, extra: object = {}) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null, ...extra }] })}\n\n`;
  const logprobs = (token: string) => ({
    logprobs: {
      content: [{ token, logprob: -0.25, bytes: [...Buffer.from(token)], top_logprobs: [{ token, logprob: -0.25, bytes: [1] }] }],
    },
  });
  const role = chunk({ role: 'assistant', content: '' });
  const words = Array.from({ length: 40 }, (_, i) => ` w${i % 10}`);
  const batched = Array.from({ length: 10 }, () => ' and so the answer goes on, several tokens a chunk');
  const few = Array.from({ length: 10 }, () => ' a few tokens, 6 a chunk');
  const cases: [string, string[], number, number][] = [
    ['a token a chunk', [role, ...words.map((w) => chunk({ content: w }))], 41, 41],
    ['a token a chunk with logprobs', [role, ...words.map((w) => chunk({ content: w }, logprobs(w)))], 41, 41],
    [
      "a tool call's arguments a token a chunk",
      [
        role,
        chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        ...words.map((w) => chunk({ tool_calls: [{ index: 0, function: { arguments: w } }] })),
      ],
      42,
      42,
    ],
    // 48 characters a chunk: 12 tokens at 4 characters a token.
    ['tokens batched into chunks', [role, ...batched.map((t) => chunk({ content: t }))], 121, 121],
    ['tokens batched from the first chunk (no smaller frame)', batched.map((t) => chunk({ content: t })), 120, 120],
    ['reasoning batched into chunks', [role, ...batched.map((t) => chunk({ reasoning_content: t }))], 121, 121],
    // 16 CJK characters, 48 bytes: 12 "tokens" of 4 bytes (a lower bound's estimate, not a tokenizer's count).
    ['CJK text batched', [role, ...Array.from({ length: 10 }, () => chunk({ content: '答案继续下去，每块几个词元。好的' }))], 101, 131],
    // 24 characters (6 tokens) a chunk: fewer bytes than the role's first chunk carries beyond a content chunk's frame
    // (`"role":"assistant",`, 19) and the slack (then 16). Taken for the smallest frame, that chunk made each of these one token.
    [
      'a few tokens a chunk, after the larger role chunk (vLLM --stream-interval)',
      [role, ...few.map((t) => chunk({ content: t }))],
      61,
      61,
    ],
    // A refusal's text and an audio answer's transcript are generated text too (each chunk one token before).
    ['a refusal batched into chunks', [role, ...batched.map((t) => chunk({ refusal: t }))], 121, 121],
    ['an audio transcript batched into chunks', [role, ...batched.map((t) => chunk({ audio: { id: 'a', transcript: t } }))], 121, 121],
    // 13 characters (3 tokens) a chunk (vLLM --stream-interval 3): within the slack's former 16 bytes, one token each.
    ['three tokens a chunk', [role, ...Array.from({ length: 10 }, () => chunk({ content: ' the answer i' }))], 31, 31],
    // OpenAI's first chunk also says `"refusal":null`: 34 bytes over a content chunk's frame; 40 characters a chunk.
    [
      "a few tokens a chunk, after OpenAI's role chunk",
      [
        chunk({ role: 'assistant', content: '', refusal: null }),
        ...Array.from({ length: 10 }, () => chunk({ content: `${few[0]}, and more of it` })),
      ],
      101,
      101,
    ],
  ];
  it.each(cases)('%s', (_what, events, atLeast, atMost) => {
    for (const split of [false, true]) {
      const { relay } = relayOn(SseRelay, false, 1024 * 1024);
      if (split) for (const e of events) relay.push(Buffer.from(e));
      else relay.push(Buffer.from(events.join('')));
      expect(relay.outputEstimate).toBeGreaterThanOrEqual(atLeast);
      expect(relay.outputEstimate).toBeLessThanOrEqual(atMost);
      // The full decoder's path reads the same.
      const { relay: decoding } = relayOn(DecodingRelay, false, 1024 * 1024);
      decoding.push(Buffer.from(events.join('')));
      expect(decoding.outputEstimate).toBe(relay.outputEstimate);
    }
  });

  it("counts each event as its measured text says, whatever text-less events lead (against measuring every event's text)", () => {
    // Events without text, each a frame of its own (larger or smaller than a content chunk's), around content chunks.
    const textless = fc.constantFrom(
      role,
      chunk({ role: 'assistant', content: '', refusal: null }),
      chunk({ role: 'assistant', content: null }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      'data: {"choices":[],"id":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}\n\n',
      chunk({}, { finish_reason: 'stop' }),
    );
    const content = fc.string({ maxLength: 80, size: 'max' }).map((t) => chunk({ content: t }));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(textless, content, content), { minLength: 1, maxLength: 30 }),
        fc.uniqueArray(fc.nat(), { maxLength: 10 }),
        (events, cuts) => {
          // Azure's prompt filter results before any output are no output (no choices, no usage: trust 236).
          let leading = 0;
          while (leading < events.length && events[leading]!.includes('"prompt_filter_results"')) leading++;
          const output = events.slice(leading);
          const texts = output.map((e) => textChars(Buffer.from(e), 0, Buffer.byteLength(e)));
          // Measured, an event is its text at 4 characters a token (one at least); within the slack above the smallest
          // frame (7 bytes) it is counted one token unmeasured, which is what the measure says of 7 characters or fewer.
          const whole = texts.reduce((n, t) => n + Math.max(1, Math.floor(t / 4)), 0);
          const bytes = Buffer.from(events.join(''));
          const { relay } = relayOn(SseRelay, false, 1024 * 1024);
          pushCut(relay, bytes, cuts);
          expect(relay.outputEvents).toBe(output.length);
          expect(relay.outputEstimate).toBe(whole);
          const { relay: decoding } = relayOn(DecodingRelay, false, 1024 * 1024);
          decoding.push(bytes);
          expect(decoding.outputEstimate).toBe(relay.outputEstimate);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('the body relay', () => {
  const body = Buffer.from('{"choices":[{"message":{"content":"hello"}}],"usage":{"prompt_tokens":2,"completion_tokens":1}}');
  const policy = (p: Partial<BufferPolicy>): BufferPolicy => ({ mode: 'passthrough', maxBytes: 1024, onOverflow: 'error', ...p });

  it('passes a body through as it arrives, with its length', () => {
    const c = fakeClient();
    const relay = new BodyRelay(c.out, policy({}), 200, { 'content-length': String(body.length) }, (t) => t);
    expect(relay.push(body.subarray(0, 10))).toBeUndefined();
    expect(relay.push(body.subarray(10))).toBeUndefined();
    relay.end();
    expect(c.res.status).toBe(200);
    expect(c.text()).toBe(body.toString());
  });

  it.each([
    ['error', { kind: 'too_large' }, 0],
    ['truncate', { kind: 'truncated', delivered: 40 }, 40],
  ] as const)('buffered, over maxBytes, onOverflow %s', (onOverflow, outcome, delivered) => {
    const c = fakeClient();
    const relay = new BodyRelay(c.out, policy({ mode: 'buffered', maxBytes: 40, onOverflow }), 200, {}, (t) => t);
    const r = relay.push(body);
    expect(r).toMatchObject(outcome);
    expect(Buffer.concat(c.writes).length).toBe(delivered);
  });
});

describe('the SSE relay reads usage as a JSON parser does', () => {
  /** Every event of the stream relayed, the usage found, and what a client that did not ask for usage got. */
  const relayed = (Relay: typeof SseRelay, evs: string[]) => {
    const { c, relay } = relayOn(Relay, true, 1024 * 1024);
    for (const e of evs) relay.push(Buffer.from(e));
    relay.flushHeld(false);
    return { out: c.text(), usage: relay.usage };
  };
  const first = 'data: {"model":"m","choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n';
  const done = 'data: [DONE]\n\n';
  /** A key with some of its letters (and `_`) written as `\u00XX` escapes, as `pick` says. */
  const spelt = (key: string, pick: number) =>
    [...key].map((ch, i) => ((pick >> i) & 1 && /[a-z_]/.test(ch) ? `\\u00${ch.charCodeAt(0).toString(16)}` : ch)).join('');

  it('usage under keys spelt with escapes, after a null usage, before a nested null: counted, and its chunk held back', () => {
    fc.assert(
      fc.property(
        fc.nat(1023),
        fc.nat(1023),
        fc.nat(99),
        fc.nat(99),
        fc.constantFrom('', '"usage":null,'),
        fc.constantFrom('', ',"x":{"usage":null}'),
        (k1, k2, p, c, before, after) => {
          const data = `{"${spelt('choices', k2)}":[],${before}"${spelt('usage', k1)}":{"${spelt('prompt_tokens', k2 >> 3)}":${p},"${spelt('completion_tokens', k1 >> 2)}":${c}}${after}}`;
          // The oracle: what JSON.parse (the client's SDK) reads.
          const parsed = JSON.parse(data) as { usage: { prompt_tokens: number; completion_tokens: number } };
          const ev = `data: ${data}\n\n`;
          for (const Relay of [SseRelay, DecodingRelay]) {
            const r = relayed(Relay, [first, ev, done]);
            expect(r.usage).toEqual({ prompt: parsed.usage.prompt_tokens, completion: parsed.usage.completion_tokens });
            expect(r.out).toBe(first + done);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a null usage is null whatever the JSON whitespace around it, a line break included: that chunk reaches the client', () => {
    const ev = 'data: {"choices":[],"prompt_filter_results":[],"usage":\ndata: null}\n\n';
    for (const Relay of [SseRelay, DecodingRelay]) {
      const r = relayed(Relay, [first, ev, done]);
      expect(r.out).toBe(first + ev + done);
      expect(r.usage).toBeUndefined();
    }
  });

  it('a key spelt `"\\\\u0075sage"` (an escaped backslash: not usage) is not usage; text escaped by its encoder stays text', () => {
    const notUsage = 'data: {"choices":[],"\\\\u0075sage":{"prompt_tokens":5,"completion_tokens":6}}\n\n';
    const latin = 'data: {"choices":[{"delta":{"content":"caf\\u00e9"}}]}\n\n';
    for (const Relay of [SseRelay, DecodingRelay]) {
      const r = relayed(Relay, [first, notUsage, latin, done]);
      expect(r.out).toBe(first + notUsage + latin + done);
      expect(r.usage).toBeUndefined();
    }
  });

  it('an event’s usage and choices are its top-level ones, whatever it nests or repeats: counted once, withheld only when the top-level choices are empty', () => {
    const real = 'data: {"choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":1000}}\n\n';
    // A top-level null after a nested usage; a nested usage after the real one; repeated count keys (JSON keeps the
    // last); counts written with an exponent or a fraction; a nested empty choices beside real content.
    const decoy = 'data: {"choices":[],"x":{"usage":{"prompt_tokens":1,"completion_tokens":1}},"usage":null}\n\n';
    const shapes = [
      '{"choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":1000},"x":{"usage":{"prompt_tokens":1,"completion_tokens":1}}}',
      '{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"prompt_tokens":1000,"completion_tokens":1000}}',
      '{"choices":[],"usage":{"prompt_tokens":1e3,"completion_tokens":1000.5}}',
      '{"choices":[],"usage":{"x":{"prompt_tokens":1,"completion_tokens":1},"prompt_tokens":1000,"completion_tokens":1000}}',
    ];
    const content =
      'data: {"choices":[{"delta":{"content":"hi"}}],"usage":{"prompt_tokens":5,"completion_tokens":5},"x":{"choices":[]}}\n\n';
    for (const Relay of [SseRelay, DecodingRelay]) {
      const r = relayed(Relay, [first, real, decoy, done]);
      expect(r.usage).toEqual({ prompt: 1000, completion: 1000 });
      expect(r.out).toBe(first + decoy + done);
      for (const data of shapes)
        expect(relayed(Relay, [first, `data: ${data}\n\n`, done]).usage, data).toEqual({ prompt: 1000, completion: 1000 });
      expect(relayed(Relay, [first, content, done]).out).toBe(first + content + done);
    }
  });

  it('an error key spelt with escapes is an error event: the stream fails, its text never reaches the client', () => {
    const { c, relay } = relayOn(SseRelay, true, 1 << 20, (t) => t.replaceAll('sk-SECRET', '***'));
    relay.push(Buffer.from(`${first}data: {"\\u0065rror":{"message":"bad key sk-SECRET"}}\n\n`));
    expect(relay.failed?.message).toContain('bad key ***');
    expect(c.text()).toBe(first);
  });

  it('a stream full of escapes is read in linear time, every byte relayed', () => {
    // 20,000 chunks each with a letter escaped in its content (each one decoded and parsed), then 1 MB of other escapes.
    const lettered = 'data: {"choices":[{"delta":{"content":"\\u0061"}}]}\n\n'.repeat(20_000);
    const latin = `data: {"choices":[{"delta":{"content":"${'\\u00e9'.repeat(170_000)}"}}]}\n\n`;
    const usage = 'data: {"choices":[],"\\u0075sage":{"prompt_tokens":7,"completion_tokens":1}}\n\n';
    const { c, relay } = relayOn(SseRelay, true, 16 * 1024 * 1024);
    const t0 = performance.now();
    relay.push(Buffer.from(lettered + latin + usage + done));
    const ms = performance.now() - t0;
    expect(c.text()).toBe(lettered + latin + done);
    expect(relay.usage).toEqual({ prompt: 7, completion: 1 });
    expect(relay.outputEvents).toBe(20_001);
    // Linear: tens of ms here; a search from the read's start for each escape would be minutes.
    expect(ms).toBeLessThan(10_000);
  });
});

describe("the SSE relay and a backend's error event", () => {
  it('stops at the error event in any split: the events before it pass, it and what follows do not, its text scrubbed', () => {
    const before = events.slice(0, 3).join('');
    const bytes = Buffer.from(`${before}data: {"error": {"message": "bad key sk-SECRET-1", "type": "x"}}\n\n${events.slice(3).join('')}`);
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(), { maxLength: 12 }), fc.boolean(), (cuts, crlf) => {
        const input = crlf ? Buffer.from(bytes.toString().replaceAll('\n', '\r\n')) : bytes;
        const { c, relay } = relayOn(SseRelay, false, 1024 * 1024, (t) => t.replaceAll('sk-SECRET-1', '[redacted]'));
        let at = 0;
        for (const cut of [...cuts.map((x) => x % input.length).sort((a, b) => a - b), input.length]) {
          if (cut <= at || relay.failed) continue;
          relay.push(input.subarray(at, cut));
          at = cut;
        }
        expect(c.text()).toBe(crlf ? before.replaceAll('\n', '\r\n') : before);
        expect(relay.failed?.message).toBe('backend stream error (bad key [redacted])');
        expect(relay.sawDone).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the SSE relay at a cut', () => {
  it('sends only whole events of a stream that ends anywhere before its end marker: no half event, no [DONE] without its blank line', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: stream.length }), fc.boolean(), (cut, crlf) => {
        const bytes = crlf ? Buffer.from(stream.toString().replaceAll('\n', '\r\n')) : stream;
        const sent = bytes.subarray(0, Math.min(cut, bytes.length));
        const { c, relay } = relayOn(SseRelay, false, 1024 * 1024);
        relay.push(sent);
        relay.flushHeld(!relay.sawDone);
        const out = c.text();
        expect(sent.toString().startsWith(out)).toBe(true);
        // Whole events only (with CRLF, an event may end at the CR of its blank line: CR ends a line too).
        expect(out === '' || /(\n\n|\r\n\r\n?)$/.test(out)).toBe(true);
        expect(relay.sawDone).toBe(/data: \[DONE\]\r?\n\r?\n?$/.test(out));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the SSE relay against a trickling backend', () => {
  // Each read of an unfinished event must not copy what is already held: a backend sending one byte per read
  // would otherwise cost the event loop time quadratic in the event's size (16 MiB by default).
  const trickle = (bytes: Buffer) => {
    const { c, relay } = relayOn(SseRelay, false, 16 * 1024 * 1024);
    const t0 = performance.now();
    for (let i = 0; i < bytes.length; i++) relay.push(bytes.subarray(i, i + 1));
    // As at the upstream's end (a CR-terminated event's LF may still be held).
    relay.flushHeld(false);
    return { ms: performance.now() - t0, out: c.text(), relay };
  };

  it('relays a 512 KiB event sent one byte per read in linear time, whole', () => {
    const event = `data: {"choices":[{"delta":{"content":"${'x'.repeat(512 * 1024)}"}}]}\n\n`;
    const { ms, out, relay } = trickle(Buffer.from(`${event}data: [DONE]\n\n`));
    expect(out).toBe(`${event}data: [DONE]\n\n`);
    expect(relay.sawDone).toBe(true);
    // Linear: a few hundred ms at most on a slow machine; quadratic copying is over 100 GB here (minutes).
    expect(ms).toBeLessThan(10_000);
  });

  it('the full decoder too (a CRLF stream): a 512 KiB event one byte per read, in linear time, whole', () => {
    const event = `data: {"choices":[{"delta":{"content":"${'x'.repeat(512 * 1024)}"}}]}\r\n\r\n`;
    const { ms, out, relay } = trickle(Buffer.from(`${event}data: [DONE]\r\n\r\n`));
    expect(out).toBe(`${event}data: [DONE]\r\n\r\n`);
    expect(relay.sawDone).toBe(true);
    expect(ms).toBeLessThan(10_000);
  });

  it('reads a backend’s events full of `"usage": null` keys in linear time: the real usage after them, every byte relayed', () => {
    const once = (bytes: Buffer) => {
      const { c, relay } = relayOn(SseRelay, false, 16 * 1024 * 1024);
      const t0 = performance.now();
      relay.push(bytes);
      return { ms: performance.now() - t0, out: c.text(), relay };
    };
    // One event with 100,000 null keys before the real one (1.3 MB), then 20,000 chunks that each end in one.
    const crowded = `data: {"choices":[{"delta":{"content":"a"}}],${'"usage":null,'.repeat(100_000)}"usage":{"prompt_tokens":7,"completion_tokens":1}}\n\n`;
    const chunks = 'data: {"choices":[{"delta":{"content":"b"}}],"usage":null}\n\n'.repeat(20_000);
    const stream = `${crowded}${chunks}data: [DONE]\n\n`;
    const { ms, out, relay } = once(Buffer.from(stream));
    expect(out).toBe(stream);
    expect(relay.usage).toEqual({ prompt: 7, completion: 1 });
    expect(relay.outputEvents).toBe(20_001);
    expect(relay.sawDone).toBe(true);
    // Linear: tens of ms here; a search per key from the start of the read each time would be minutes.
    expect(ms).toBeLessThan(10_000);
  });

  it('relays an event that starts after held blank lines and ends in a later read', () => {
    const { c, relay } = relayOn(SseRelay, false, 1024);
    for (const piece of ['data: a\n\n\n\n', 'data: b\n', '\n']) relay.push(Buffer.from(piece));
    // b goes out the moment its blank line arrives, not with whatever comes next.
    expect(c.text()).toBe('data: a\n\n\n\ndata: b\n\n');
    relay.push(Buffer.from('data: [DONE]\n\n'));
    expect(relay.outputEvents).toBe(2);
    expect(relay.sawDone).toBe(true);
  });

  it('holds blank lines sent one per read without copying them again, and cuts them at maxEventBytes', () => {
    const { ms, relay } = trickle(Buffer.from('\n'.repeat(512 * 1024)));
    expect(ms).toBeLessThan(10_000);
    expect(relay.outputEvents).toBe(0);
    const c = fakeClient();
    const small = new SseRelay(c.out, false, () => {}, 1000);
    let ok = true;
    for (let i = 0; i < 1001 && ok; i++) ok = small.push(Buffer.from('\n'));
    expect(ok).toBe(false);
  });
});
