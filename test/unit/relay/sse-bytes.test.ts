/**
 * The SSE relay's byte searches, against their plain definitions on the same bytes: the relay's speed comes from
 * how they search (a short needle, a look at the last bytes, comparisons in JavaScript), never from what they find.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closesEvent, completeUpTo, ERROR_JSON, isErrorData, nextUsage, nullUsageEnd } from '../../../src/relay/sse-bytes.js';
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
          other ||= !m;
        }
        expect(carriesUsage(text)).toBe(other);
      }),
      { numRuns: 3000 },
    );
    expect(carriesUsage('{"choices":[],"usage":null}')).toBe(false);
    expect(carriesUsage('{"usage":null,"x":{"usage":{"prompt_tokens":3}}}')).toBe(true);
    expect(carriesUsage('{"usage":nullx}')).toBe(false);
  });

  it('closesEvent is a brace and the blank line that ends the event, nothing else', () => {
    const ev = Buffer.from('data: {"usage":null}\n\n');
    const end = nullUsageEnd(ev, ev.indexOf('"usage"'));
    expect(closesEvent(ev, end, ev.length)).toBe(true);
    expect(closesEvent(ev, end, ev.length - 1)).toBe(false);
    const nested = Buffer.from('data: {"x":{"usage":null},"usage":{"prompt_tokens":1}}\n\n');
    expect(closesEvent(nested, nullUsageEnd(nested, nested.indexOf('"usage"')), nested.length)).toBe(false);
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

  it('isErrorData reads a data line as ERROR_JSON reads its value (spaces and tabs within the line)', () => {
    fc.assert(
      fc.property(bytes, (value) => {
        const line = Buffer.concat([Buffer.from('data:'), value]);
        const text = value.toString('latin1');
        // The relay hands it one line: the check reads up to its first LF, as the decoder would.
        const firstLine = text.split('\n')[0]!;
        expect(isErrorData(line, 0)).toBe(ERROR_JSON.test(firstLine));
      }),
      { numRuns: 3000 },
    );
  });
});
