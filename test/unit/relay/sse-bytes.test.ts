/**
 * The SSE relay's byte searches, against their plain definitions on the same bytes: the relay's speed comes from
 * how they search (a short needle, a look at the last bytes, comparisons in JavaScript), never from what they find.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  completeUpTo,
  nextErrorName,
  nextEscapedKeyLetter,
  nextUsage,
  nullUsageEnd,
  restHasNoUsage,
  TextMeter,
  textChars,
} from '../../../src/relay/sse-bytes.js';
import { carriesUsage } from '../../../src/relay/usage-tap.js';

/** Bytes made of the pieces the searches look for, so that near misses (`usage"` without its quote) are common. */
const pieces = fc.constantFrom(
  '"usage"',
  'usage"',
  '"usag',
  'e"',
  '"',
  'u',
  '\n',
  '\n\n',
  '{',
  '}',
  ':',
  ' ',
  '\t',
  '"error"',
  '"object"',
  '"type"',
  '"error',
  'rror"',
  '"e',
  'mirror"',
  'x',
  'é',
  'null',
  'nul',
  '"usage":null',
  '"usage" : null',
  '"usage":{"prompt_tokens":1}',
);
const bytes = fc.array(pieces, { maxLength: 40 }).map((p) => Buffer.from(p.join('')));

describe('the SSE relay byte searches', () => {
  it('nextUsage finds the first `"usage"` at or after `from` and before `limit`, as a plain search does', () => {
    fc.assert(
      fc.property(bytes, fc.nat(), fc.nat(), (buf, f, l) => {
        const from = f % (buf.length + 1);
        const limit = l % (buf.length + 1);
        const at = buf.indexOf('"usage"', from);
        expect(nextUsage(buf, from, limit)).toBe(at >= 0 && at < limit ? at : -1);
      }),
      { numRuns: 2000 },
    );
  });

  it('nextUsage finds the key behind any number of near misses (`"xusage":` keys a backend may send)', () => {
    for (const misses of [0, 1, 7, 8, 9, 100]) {
      const buf = Buffer.from(`data: {${'"xusage":1,'.repeat(misses)}"usage":{"prompt_tokens":1}}\n\n`);
      expect(nextUsage(buf, 0, buf.length)).toBe(buf.indexOf('"usage"'));
      expect(nextUsage(buf, 0, buf.indexOf('"usage"'))).toBe(-1);
      const none = Buffer.from(`data: {${'"xusage":1,'.repeat(misses)}"n":1}\n\n`);
      expect(nextUsage(none, 0, none.length)).toBe(-1);
    }
  });

  it('nullUsageEnd reads `"usage": null` (spaces and tabs around the colon) as a plain match does, and carriesUsage any other', () => {
    fc.assert(
      fc.property(bytes, (buf) => {
        const text = buf.toString('latin1');
        let other = false;
        for (let at = buf.indexOf('"usage"'); at >= 0; at = buf.indexOf('"usage"', at + 1)) {
          const m = /^"usage"[ \t]*:[ \t]*null/.exec(text.slice(at));
          expect(nullUsageEnd(buf, at)).toBe(m ? at + m[0].length : -1);
          // The decoder reads an event's data, whose lines are joined by LF: any JSON whitespace.
          other ||= !/^"usage"[ \t\n\r]*:[ \t\n\r]*null/.test(text.slice(at));
        }
        expect(carriesUsage(text)).toBe(other);
      }),
      { numRuns: 3000 },
    );
    expect(carriesUsage('{"choices":[],"usage":null}')).toBe(false);
    expect(carriesUsage('{"usage":null,"x":{"usage":{"prompt_tokens":3}}}')).toBe(true);
    expect(carriesUsage('{"usage":nullx}')).toBe(false);
    expect(carriesUsage('{"choices":[],"usage":\nnull}')).toBe(false);
  });

  it('nextEscapedKeyLetter finds the first `\\u00XX` escape of a lower-case letter or `_` a JSON reader sees, or an earlier backslash, never a later one', () => {
    // Backslashes often, so that both of its searches (one by one, then for `\\u00`) and the cap are reached.
    const piece = fc.oneof(
      { arbitrary: fc.constantFrom('\\u00', '\\', '\\n', '\\u00e9'), weight: 3 },
      { arbitrary: fc.constantFrom('75', '73', '5f', '5F', '6F', '7a', 'e9', 'E9', '20', '0', 'u', '"', 'usage', 'x'), weight: 2 },
    );
    const text = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));
    /** The oracle: backslashes read in pairs from `from`, as a JSON reader reads escapes; the first letter's. */
    const firstLetter = (t: string, from: number, limit: number) => {
      for (let i = from; i < limit; i++) {
        if (t[i] !== '\\') continue;
        if (/^\\u00(?:[67][0-9a-fA-F]|5[fF])/.test(t.slice(i))) return i;
        i++;
      }
      return -1;
    };
    fc.assert(
      fc.property(text, fc.nat(40), fc.nat(40), (t, a, b) => {
        const buf = Buffer.from(t, 'latin1');
        const from = Math.min(a, buf.length);
        const limit = Math.max(from, Math.min(b + from, buf.length));
        const got = nextEscapedKeyLetter(buf, from, limit);
        const want = firstLetter(t, from, limit);
        if (want >= 0) expect(got >= from && got <= want).toBe(true);
        if (got >= 0) expect(got >= from && got < limit && buf[got] === 0x5c).toBe(true);
        else expect(want).toBe(-1);
        // A few backslashes are read one by one, exactly; past them the answer may come early (the decoder reads it).
        const backslashes = t.slice(from, limit).split('\\').length - 1;
        if (backslashes <= 3) expect(got).toBe(want);
      }),
      { numRuns: 5000 },
    );
    expect(nextEscapedKeyLetter(Buffer.from('{"\\u0075sage":1}'), 0, 16)).toBe(2);
    // Past four other backslashes the search is for `\\u00`: the letter still found.
    const newlines = Buffer.from(`${'\\n'.repeat(5)}\\u0075`);
    expect(nextEscapedKeyLetter(newlines, 0, newlines.length)).toBe(10);
    expect(nextEscapedKeyLetter(newlines, 0, 10)).toBe(-1);
    // Escapes of other characters: eight looked past, the ninth taken (its event decoded).
    const latin = (n: number) => Buffer.from('\\u00e9'.repeat(n));
    expect(nextEscapedKeyLetter(latin(8), 0, 48)).toBe(-1);
    expect(nextEscapedKeyLetter(latin(12), 0, 72)).toBe(66);
    expect(nextEscapedKeyLetter(Buffer.from('{"caf\\u00e9":1}'), 0, 15)).toBe(-1);
  });

  it('restHasNoUsage: a short rest of an event with no `"u` in it, as a plain match for a key starting with u says', () => {
    const rest = fc.array(fc.constantFrom('"', 'u', 'usage', ',"obfuscation":"', 'x7Q', '}', '\n', ':', '"usage":{"prompt_tokens":1}'), {
      maxLength: 20,
    });
    fc.assert(
      fc.property(rest, (pieces) => {
        const tail = pieces.join('');
        const buf = Buffer.from(`data: {"usage":null${tail}\n\n`);
        const at = nullUsageEnd(buf, buf.indexOf('"usage"'));
        const stop = buf.length;
        expect(restHasNoUsage(buf, at, stop)).toBe(stop - at <= 64 && !buf.subarray(at, stop).toString('latin1').includes('"u'));
      }),
      { numRuns: 3000 },
    );
    const ev = Buffer.from('data: {"choices":[],"usage":null,"obfuscation":"aB3x"}\n\n');
    expect(restHasNoUsage(ev, nullUsageEnd(ev, ev.indexOf('"usage"')), ev.length)).toBe(true);
    const nested = Buffer.from('data: {"x":{"usage":null},"usage":{"prompt_tokens":1}}\n\n');
    expect(restHasNoUsage(nested, nullUsageEnd(nested, nested.indexOf('"usage"')), nested.length)).toBe(false);
  });

  it('completeUpTo ends just past the last blank line, as a search from the end does', () => {
    fc.assert(
      fc.property(bytes, (buf) => {
        const at = buf.lastIndexOf('\n\n');
        expect(completeUpTo(buf)).toBe(at < 0 ? 0 : at + 2);
      }),
      { numRuns: 2000 },
    );
  });

  it('nextErrorName finds the first `"error"` at or after `from` and before `limit`, as a plain search does', () => {
    fc.assert(
      fc.property(bytes, fc.nat(), fc.nat(), (buf, f, l) => {
        const from = f % (buf.length + 1);
        const limit = l % (buf.length + 1);
        const at = buf.indexOf('"error"', from);
        expect(nextErrorName(buf, from, limit)).toBe(at >= 0 && at < limit ? at : -1);
      }),
      { numRuns: 3000 },
    );
  });

  it('nextErrorName finds the name behind any number of near misses (`"mirror"` values)', () => {
    for (const misses of [0, 1, 7, 8, 9, 100]) {
      const buf = Buffer.from(`data: {${'"m":"mirror",'.repeat(misses)}"error":{"message":"m"}}\n\n`);
      expect(nextErrorName(buf, 0, buf.length)).toBe(buf.indexOf('"error"'));
      expect(nextErrorName(buf, 0, buf.indexOf('"error"'))).toBe(-1);
    }
  });

  /** Names a chunk's members have, the text names among them, and near misses. */
  const key = fc.constantFrom(
    'content',
    'reasoning_content',
    'reasoning',
    'text',
    'arguments',
    'refusal',
    'transcript',
    'data',
    'xcontent',
    'contents',
    'token',
    'role',
    'id',
    'text_offset',
    'tool_calls',
    'delta',
    '_text',
    ':',
    'a b',
  );
  const isText = (k: string) =>
    ['content', 'reasoning', 'text', 'arguments', 'refusal', 'transcript'].some((n) => k === n || k.endsWith(`_${n}`));
  /** Any JSON a backend may send, its strings holding quotes, colons, backslashes and the text names themselves. */
  const { json } = fc.letrec((tie) => ({
    json: fc.oneof(
      { depthSize: 'small' },
      fc.string({ unit: fc.constantFrom('a', '"', ':', '\\', 'content', '":"', '\n', 'é', '\u0001', ' ') }),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.integer(),
      fc.constant(null),
      fc.array(tie('json'), { maxLength: 4 }),
      fc.dictionary(key, tie('json'), { maxKeys: 5 }),
    ),
  }));
  /** The text the definition counts: the bytes of each text name's string value as JSON writes it, at any depth. */
  const written = (v: unknown): number => {
    if (Array.isArray(v)) return v.reduce((n: number, e) => n + written(e), 0);
    if (v === null || typeof v !== 'object') return 0;
    let n = 0;
    for (const [k, e] of Object.entries(v)) n += typeof e === 'string' && isText(k) ? Buffer.byteLength(JSON.stringify(e)) - 2 : written(e);
    return n;
  };

  it("textChars counts the bytes of each text name's string value as JSON writes it, at any depth, as the definition does", () => {
    fc.assert(
      fc.property(json, fc.string({ maxLength: 6 }), (v, around) => {
        const event = `data: ${JSON.stringify(v)}\n\n`;
        const buf = Buffer.from(`${around}${event}${around}`);
        const start = Buffer.byteLength(around);
        expect(textChars(buf, start, start + Buffer.byteLength(event))).toBe(written(v));
      }),
      { numRuns: 3000 },
    );
  });

  it("textChars counts a text name that follows a value's closing quote at once (a backend's bytes need not be JSON)", () => {
    const event = Buffer.from(`data: {"choices":[{"delta":{"content":"text":"${'x'.repeat(1000)}"}}]}\n\n`);
    expect(textChars(event, 0, event.length)).toBe(1004);
  });

  it("a stream's TextMeter counts each event as textChars does, whatever the events before it shared with it", () => {
    // Events from a few frames (so leads repeat, and nearly repeat), with junk made of the walk's own bytes.
    const frames = fc.constantFrom(
      'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"',
      'data: {"id":"c1","choices":[{"index":0,"delta":{"reasoning_content":"',
      'data: {"id":"c2","choices":[{"index":0,"delta":{"content":"',
      'data: {"id":"c1","choices":[{"index":0,"delta":{"content":',
      'data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":"',
      'data: {"id":"c1","choices":[{"index":0,"text":"',
      'data: {"id":"c1","choices":[]',
    );
    const junk = fc.array(fc.constantFrom('"', ':', '":"', '\\', '\\"', 'content', '_', 'text":"', 'x', 'é'), { maxLength: 12 });
    const event = fc.tuple(frames, junk, fc.constantFrom('"}}]}\n\n', '', '"'), fc.string({ maxLength: 3 }));
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 12 }), (events) => {
        const meter = new TextMeter();
        for (const [frame, rest, tail, around] of events) {
          const text = `${frame}${rest.join('')}${tail}`;
          const buf = Buffer.from(`${around}${text}${around}`);
          const start = Buffer.byteLength(around);
          const stop = start + Buffer.byteLength(text);
          expect(meter.chars(buf, start, stop)).toBe(textChars(buf, start, stop));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('a TextMeter walks from the kept lead only where the event starts with it: a changed byte in it is walked whole', () => {
    const meter = new TextMeter();
    const a = Buffer.from('data: {"id":"c1","choices":[{"delta":{"content":"abc"}}]}\n\n');
    expect(meter.chars(a, 0, a.length)).toBe(3);
    // The same lead, then an event whose lead hides a text value before the kept one's place.
    const b = Buffer.from('data: {"id":"c1","choices":[{"delta":{"content":"abcdef"}}]}\n\n');
    expect(meter.chars(b, 0, b.length)).toBe(6);
    const c = Buffer.from('data: {"text":"zz","choices":[{"delta":{"content":"abcdef"}}]}\n\n');
    expect(meter.chars(c, 0, c.length)).toBe(8);
    // Shorter than the kept lead.
    const d = Buffer.from('data: {"text":"');
    expect(meter.chars(d, 0, d.length)).toBe(0);
  });

  it('textChars reads only its event, whatever bytes it is given: the same count as on a copy of them', () => {
    const junk = fc.array(fc.constantFrom('"', ':', '":"', '\\', 'content', '_', 'text":"', 'x', '\n'), { maxLength: 40 });
    fc.assert(
      fc.property(junk, fc.nat(), fc.nat(), (p, a, b) => {
        const buf = Buffer.from(p.join(''));
        const start = Math.min(a, b) % (buf.length + 1);
        const stop = Math.max(start, Math.max(a, b) % (buf.length + 1));
        const chars = textChars(buf, start, stop);
        expect(chars).toBe(textChars(Buffer.from(buf.subarray(start, stop)), 0, stop - start));
        expect(chars).toBeLessThanOrEqual(stop - start);
      }),
      { numRuns: 3000 },
    );
  });
});
