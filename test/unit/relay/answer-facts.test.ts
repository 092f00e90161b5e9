/** What an answer says about itself, read from passing bytes: usage with cached tokens, its model, id and finish reasons. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnswerNotes } from '../../../src/events/request-record.js';
import { modelIn, noteBody, noteEvent } from '../../../src/relay/answer-facts.js';
import { stringAfter } from '../../../src/relay/json-text.js';
import { keptBytes } from '../../../src/core/kept-bytes.js';
import { BodyRelay } from '../../../src/relay/body-relay.js';
import { SseRelay } from '../../../src/relay/sse-relay.js';
import { DecodingRelay, fakeClient, relayOn } from '../../helpers/relay-client.js';
import { TailWindow, usageIn } from '../../../src/relay/usage-tap.js';

describe('usageIn', () => {
  const cases: { name: string; text: string; want: ReturnType<typeof usageIn> }[] = [
    { name: 'plain usage', text: '{"usage":{"prompt_tokens":7,"completion_tokens":3}}', want: { prompt: 7, completion: 3 } },
    {
      name: "vLLM's prefix cache",
      text: '{"usage":{"prompt_tokens":70,"total_tokens":73,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":64}}}',
      want: { prompt: 70, completion: 3, cached: 64 },
    },
    {
      name: 'more cached than prompt tokens is capped at the prompt',
      text: '{"usage":{"prompt_tokens":5,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":5000}}}',
      want: { prompt: 5, completion: 1, cached: 5 },
    },
    {
      name: 'a count too long to be a safe integer is not a count (the prompt is counted then)',
      text: `{"usage":{"prompt_tokens":${'9'.repeat(400)},"completion_tokens":2}}`,
      want: { prompt: 0, completion: 2, promptUnread: true },
    },
    {
      name: 'a prompt count written as a string is none: the prompt is counted, never charged 0',
      text: '{"usage":{"prompt_tokens":"4000","completion_tokens":3,"total_tokens":"4003"}}',
      want: { prompt: 0, completion: 3, promptUnread: true },
    },
    {
      name: 'a completion count written as a string is none: the answer is counted from its content',
      text: '{"usage":{"prompt_tokens":5,"completion_tokens":"2000"}}',
      want: { prompt: 5, completion: 0, completionUnread: true },
    },
    { name: 'no usage', text: '{"choices":[]}', want: undefined },
    {
      name: 'a nested null usage after the real one is looked past',
      text: '{"usage":{"prompt_tokens":9,"completion_tokens":8},"x":{"usage" :\nnull}}',
      want: { prompt: 9, completion: 8 },
    },
    { name: 'only null usage', text: '{"usage":null,"x":{"usage":null}}', want: undefined },
    {
      name: 'keys spelt with escapes are read as JSON reads them',
      text: '{"\\u0075sage":{"prompt\\u005ftokens":12,"completion_tokens":2,"prompt_tokens_details":{"c\\u0061ched_tokens":99}}}',
      want: { prompt: 12, completion: 2, cached: 12 },
    },
    {
      name: 'escaped, a count that is not a whole number of at most 15 digits is not a count',
      text: '{"\\u0075sage":{"prompt_tokens":1e400,"completion_tokens":-2,"x":"\\u0061"}}',
      want: undefined,
    },
    {
      name: 'a top-level null usage after a nested one: none (JSON.parse reads it when "usage" is there twice)',
      text: '{"choices":[{"message":{"content":"a"}}],"x":{"usage":{"prompt_tokens":1,"completion_tokens":1}},"usage":null}',
      want: undefined,
    },
    {
      name: 'escaped, a count with a fraction is its whole tokens, as the search reads its digits',
      text: '{"\\u0075sage":{"prompt_tokens":1000.5,"completion_tokens":1e1}}',
      want: { prompt: 1000, completion: 10 },
    },
    {
      name: 'counts written with an exponent or a fraction are read as JSON reads them, not as far as their digits',
      text: '{"usage":{"prompt_tokens":1e3,"completion_tokens":2E3,"prompt_tokens_details":{"cached_tokens":5.0e2}}}',
      want: { prompt: 1000, completion: 2000, cached: 500 },
    },
    {
      name: 'a completion count with a fraction, the prompt plain',
      text: '{"usage":{"prompt_tokens":7,"completion_tokens":2000.0}}',
      want: { prompt: 7, completion: 2000 },
    },
    {
      name: "in a body's tail that is not JSON, a count with an exponent is unread (counted from the content), never 2",
      text: '..."x"},"usage":{"prompt_tokens":5,"completion_tokens":2E3}}',
      want: { prompt: 5, completion: 0, completionUnread: true },
    },
    {
      name: "an escaped text that is not JSON (a body's tail) is searched as before",
      text: '..."\\u0061","usage":{"prompt_tokens":4,"completion_tokens":5}}',
      want: { prompt: 4, completion: 5 },
    },
  ];
  for (const c of cases) it(c.name, () => expect(usageIn(c.text)).toEqual(c.want));

  it('never yields a count that is not a safe integer (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.stringMatching(/^\d{1,40}$/), (noise, digits) => {
        const u = usageIn(`{"usage":{"prompt_tokens":${digits},"completion_tokens":${noise.length},${noise}}}`);
        for (const n of [u?.prompt, u?.completion, u?.cached]) if (n !== undefined) expect(Number.isSafeInteger(n)).toBe(true);
      }),
    );
  });
});

describe('usageIn against the regular expressions it replaced (differential)', () => {
  // The oracle: how usage was read before (a match array and substrings per count, on every answer).
  // (A fraction or an exponent after the digits is not a count the search reads: a whole JSON text is parsed then.)
  const re = (key: string) => new RegExp(`"${key}"\\s*:\\s*(\\d{1,15})(?![\\d.eE])`);
  const [PROMPT, COMPLETION, CACHED] = [re('prompt_tokens'), re('completion_tokens'), re('cached_tokens')];
  function oracle(text: string): ReturnType<typeof usageIn> {
    const at = text.lastIndexOf('"usage"');
    if (at < 0) return undefined;
    const tail = text.slice(at);
    const p = PROMPT.exec(tail);
    const c = COMPLETION.exec(tail);
    if (!p && !c) return undefined;
    const u: NonNullable<ReturnType<typeof usageIn>> = { prompt: p ? Number(p[1]) : 0, completion: c ? Number(c[1]) : 0 };
    if (!p) u.promptUnread = true;
    if (!c) u.completionUnread = true;
    const cached = CACHED.exec(tail);
    if (cached) u.cached = Math.min(Number(cached[1]), u.prompt);
    return u;
  }
  // Texts built from the pieces that matter: keys (whole and cut), colons, every kind of JavaScript whitespace,
  // digit runs around the 15-digit bound, and JSON punctuation.
  const space = fc.constantFrom(
    ' ',
    '\t',
    '\n',
    '\r',
    '\v',
    '\f',
    '\u00a0',
    '\u1680',
    '\u2003',
    '\u2028',
    '\u3000',
    '\ufeff',
    '\u200b',
    '\u0085',
  );
  const key = fc.constantFrom('"prompt_tokens"', '"completion_tokens"', '"cached_tokens"', '"prompt_tokens', 'prompt_tokens"');
  const digits = fc.stringMatching(/^\d{1,18}$/);
  // A count as a backend might write it, or nearly: key, spaces, a colon (or not), spaces, digits.
  const field = fc
    .tuple(key, fc.array(space, { maxLength: 3 }), fc.constantFrom(':', ':', '', ';'), fc.array(space, { maxLength: 3 }), digits)
    .map(([k, a, colon, b, d]) => `${k}${a.join('')}${colon}${b.join('')}${d}`);
  const piece = fc.oneof(
    field,
    field,
    key,
    space,
    digits,
    fc.constantFrom('"usage"', '"usage', ':', ',', '{', '}', '"', 'x', '-', '.', 'e', 'E'),
  );
  /** A whole JSON text is read by JSON.parse where the search could misread it: the cases above hold those. */
  const isJson = (text: string): boolean => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  };
  it('reads the same counts from any text, or none (5,000 texts)', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const text = pieces.join('');
        fc.pre(!isJson(text));
        expect(usageIn(text)).toEqual(oracle(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('reads the same counts as the usual answer shapes hold them', () => {
    for (const text of [
      '{"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}',
      '{"usage": {"prompt_tokens" : 70 ,"completion_tokens":\t3,"prompt_tokens_details":{"cached_tokens": 64}}}',
      `{"usage":{"prompt_tokens":${'1'.repeat(15)},"completion_tokens":${'1'.repeat(16)}}}`,
      '{"usage":{"prompt_tokens":"7","prompt_tokens":8}}',
    ])
      expect(usageIn(text)).toEqual(oracle(text));
  });
});

describe('stringAfter against the regular expressions it replaced (differential)', () => {
  const WINDOW = 288;
  // The oracle: the value as read before, a regular expression over the window from the key on.
  function oracle(text: string, key: string, max: number, from: number): ReturnType<typeof stringAfter> {
    const at = text.indexOf(key, from);
    if (at < 0) return undefined;
    const m = new RegExp(`^${key}\\s*:\\s*"([^"\\\\\\s]{1,${max}})"`).exec(text.slice(at, at + WINDOW));
    return m ? { value: m[1]!, end: at + m[0].length } : { value: '', end: at + key.length };
  }
  const space = fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u2028', '\ufeff', '\u200b');
  const run = (n: number) => 'm'.repeat(n);
  const key = fc.constantFrom('"model"', '"finish_reason"', '"model', 'model"');
  const spaces = fc.oneof(
    fc.array(space, { maxLength: 3 }).map((a) => a.join('')),
    // Enough to push the value past the window (288 from the key on).
    fc.constantFrom(' '.repeat(230), ' '.repeat(250), ' '.repeat(280)),
  );
  // Around each bound: the longest finish reason (64), the longest name (256); escapes and spaces inside.
  const value = fc.oneof(
    fc.stringMatching(/^[a-z0-9./-]{0,12}$/),
    fc.constantFrom(run(63), run(64), run(65), run(255), run(256), run(257), 'a\\"b', 'a b', 'a\u00a0b', 'a\u200bb'),
  );
  // A value as a backend might write it, or nearly: key, spaces, a colon (or not), spaces, a quoted value (or not).
  const field = fc
    .tuple(key, spaces, fc.constantFrom(':', ':', ''), spaces, fc.constantFrom('"', '"', ''), value, fc.constantFrom('"', '"', ''))
    .map((parts) => parts.join(''));
  const piece = fc.oneof(field, field, key, space, value, fc.constantFrom(':', '"', ',', '{', '}', 'null'));
  it('reads the same value (and where to go on) from any text, for a name and a finish reason (5,000 texts)', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.nat(40), (pieces, from) => {
        const text = pieces.join('');
        expect(stringAfter(text, '"model"', 256, WINDOW, from)).toEqual(oracle(text, '"model"', 256, from));
        expect(stringAfter(text, '"finish_reason"', 64, WINDOW, from)).toEqual(oracle(text, '"finish_reason"', 64, from));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('modelIn', () => {
  const cases: { name: string; text: string; want: string | undefined }[] = [
    {
      name: "vLLM's chunk",
      text: '{"id":"c1","object":"chat.completion.chunk","model":"meta/llama-3","choices":[]}',
      want: 'meta/llama-3',
    },
    { name: 'spaces around the colon', text: '{"model" : "gpt-4o-2024-08-06"}', want: 'gpt-4o-2024-08-06' },
    { name: 'an escaped quote in answer text is not a key', text: '{"content":"say \\"model\\":\\"evil\\""}', want: undefined },
    { name: 'a value with an escape is not a name', text: '{"model":"a\\"b"}', want: undefined },
    { name: 'a value over 256 characters is not a name', text: `{"model":"${'m'.repeat(300)}"}`, want: undefined },
    { name: 'not a string', text: '{"model":null}', want: undefined },
    { name: 'none', text: '{"object":"list"}', want: undefined },
  ];
  for (const c of cases) it(c.name, () => expect(modelIn(c.text)).toBe(c.want));

  it('finds the model of any JSON answer, and never returns anything that is not a short plain name (property)', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,60}$/);
    fc.assert(
      fc.property(name, fc.string(), (model, content) => {
        const body = JSON.stringify({ id: 'x', content, model, usage: { prompt_tokens: 1 } });
        expect(modelIn(body)).toBe(model);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const m = modelIn(text);
        if (m !== undefined) expect(m).toMatch(/^[^"\\\s]{1,256}$/);
      }),
    );
  });
});

describe('AnswerNotes from a stream and from a body', () => {
  it('keeps the first id, every finish reason, and nothing of the text without captureContent', () => {
    const notes = new AnswerNotes(false);
    noteEvent(notes, '{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}');
    noteEvent(notes, '{"id":"chatcmpl-1","choices":[{"index":0,"finish_reason":"stop"},{"index":1,"finish_reason":"length"}]}');
    expect(notes.id).toBe('chatcmpl-1');
    expect(notes.finishReasons).toEqual(['stop', 'length']);
    expect(notes.text).toBeUndefined();
  });

  it('samples at most 16 KiB of answer text with captureContent', () => {
    const notes = new AnswerNotes(true);
    for (let i = 0; i < 100; i++) noteEvent(notes, `{"choices":[{"delta":{"content":"${'x'.repeat(1000)}"}}]}`);
    expect(notes.text!.length).toBeLessThanOrEqual(16 * 1024 + 100);
    expect(notes.wantsSample).toBe(false);
  });

  it("samples a stream of empty events within the same 16 KiB (a backend's bare `data:` lines)", () => {
    // Each was a piece of no length: the sample never filled, and its list (and the text joined) grew by one an event.
    const notes = new AnswerNotes(true);
    for (let i = 0; i < 100_000; i++) noteEvent(notes, '');
    expect(notes.wantsSample).toBe(false);
    expect(notes.text!.length).toBeLessThanOrEqual(16 * 1024);
  });

  it.each([
    ['SseRelay', SseRelay],
    ['the decoding relay', DecodingRelay],
  ])('is what %s samples of a stream of bare `data:` events', (_name, Relay) => {
    const { c, relay } = relayOn(Relay, false, 1 << 20);
    const notes = new AnswerNotes(true);
    c.record.answerNotes = notes;
    relay.push(Buffer.from('data:\n\n'.repeat(50_000)));
    expect(notes.wantsSample).toBe(false);
    expect(notes.text!.length).toBeLessThanOrEqual(16 * 1024);
  });

  it('reads a body: id near its start, finish reasons near its end, at most 16 of them', () => {
    const notes = new AnswerNotes(false);
    const reasons = Array.from({ length: 40 }, (_, i) => `{"index":${i},"finish_reason":"stop"}`).join(',');
    noteBody(notes, '{"id":"cmpl-9","object":"text_completion"', `"choices":[${reasons}]}`);
    expect(notes.id).toBe('cmpl-9');
    expect(notes.finishReasons).toHaveLength(16);
  });
});

describe("TailWindow: a body's last bytes, however it was read", () => {
  it('is the last `limit` bytes of the body for any split into reads', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.integer({ min: 1, max: 90 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 300 }),
        (bytes, sizes, limit) => {
          const body = Buffer.from(bytes);
          const w = new TailWindow(limit);
          for (let at = 0, i = 0; at < body.length; i++) {
            const n = sizes[i % sizes.length]!;
            w.push(body.subarray(at, at + n));
            at += n;
          }
          expect(w.text()).toBe(body.toString('latin1', Math.max(0, body.length - limit)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("finds a non-streamed answer's usage when the backend wrote it in 32-byte pieces", () => {
    const body = Buffer.from(
      JSON.stringify({
        id: 'x',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hello there' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1234, completion_tokens: 56, total_tokens: 1290 },
      }),
    );
    const w = new TailWindow();
    for (let i = 0; i < body.length; i += 32) w.push(body.subarray(i, i + 32));
    expect(usageIn(w.text())).toEqual({ prompt: 1234, completion: 56 });
  });
});

describe('what a kept read holds alive', () => {
  // undici's body chunks are views into the socket read that brought them: a 1-byte chunk after a 64 KiB chunk
  // extension (`1;x=aaaa…\r\nZ\r\n`) is a view into a 64 KiB read.
  const views = (n: number) => Array.from({ length: n }, () => Buffer.alloc(64 * 1024).subarray(100, 101));
  const storesOf = (bufs: (Buffer | undefined)[]) => {
    const stores = new Set(bufs.filter((b) => b !== undefined).map((b) => b!.buffer));
    return [...stores].reduce((n, s) => n + s.byteLength, 0);
  };

  it('keptBytes copies a small view out of a large read, and keeps a usual chunk as it is', () => {
    const [view] = views(1);
    const kept = keptBytes(view!);
    expect(kept.equals(view!)).toBe(true);
    // Not the read it was a view into (a copy may come from Node's shared pool: 8 KiB slabs on Node 20, 64 on 24).
    expect(kept.buffer).not.toBe(view!.buffer);
    const usual = Buffer.alloc(16 * 1024).subarray(300);
    expect(keptBytes(usual)).toBe(usual);
  });

  it("TailWindow's 4 KiB of 1-byte reads hold little more than 4 KiB, not thousands of reads", () => {
    const w = new TailWindow();
    for (const v of views(5000)) w.push(v);
    const held = w as unknown as { earlier?: Buffer[]; prev?: Buffer; last?: Buffer };
    expect(w.text().length).toBe(4096);
    // The last two reads are kept as they came (two reads at most, as before).
    expect(storesOf([...(held.earlier ?? []), held.prev, held.last])).toBeLessThan(1024 * 1024);
  });
});

describe("a non-streamed body's kept first MiB", () => {
  it('holds the reads it is views into up to a few times its bytes, copying pieces past that', () => {
    const c = fakeClient();
    const relay = new BodyRelay(c.out, { mode: 'passthrough', maxBytes: 1 << 30, onOverflow: 'error' }, 200, {}, (t) => t);
    // 1-byte chunks, each a view into a 64 KiB read of its own (a chunk extension's worth).
    for (let i = 0; i < 2000; i++) relay.push(Buffer.alloc(64 * 1024).subarray(100, 101));
    const { bytes } = relay.keptBody();
    expect(bytes.length).toBe(2000);
    const kept = (relay as unknown as { kept: Buffer[] }).kept;
    const reads = new Set(kept.map((b) => b.buffer));
    const held = [...reads].reduce((n, r) => n + r.byteLength, 0);
    expect(held).toBeLessThan(4 * 2000 + 4 * 65_536);
  });

  it('keeps the pieces of a usual chunked answer as they came (4 KiB chunks of 16 KiB reads): no copy', () => {
    const c = fakeClient();
    const relay = new BodyRelay(c.out, { mode: 'passthrough', maxBytes: 1 << 30, onOverflow: 'error' }, 200, {}, (t) => t);
    const pieces: Buffer[] = [];
    for (let r = 0; r < 16; r++) {
      const read = Buffer.alloc(16 * 1024, r);
      for (let o = 0; o < read.length; o += 4096) pieces.push(read.subarray(o, o + 4096));
    }
    for (const p of pieces) relay.push(p);
    const kept = (relay as unknown as { kept: Buffer[] }).kept;
    expect(kept.every((b, i) => b === pieces[i])).toBe(true);
  });
});
