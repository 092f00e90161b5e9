/**
 * JsonObjectPrefix, judged by JSON.parse and by the Anthropic SDK's own partial-JSON parser (what it runs on a tool_use
 * block's input_json_delta text at content_block_stop): every start of a JSON object is taken whole, however it is
 * split, and the SDK reads it; text that stops being one is taken up to where it stops, and the SDK reads that part.
 */
import { partialParse } from '@anthropic-ai/sdk/_vendor/partial-json-parser/parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonObjectPrefix } from '../../../src/translate/json-prefix.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';

const FUZZ = fuzzRuns(2000);

/** How much of `text`, fed in `pieces`, is still the start of a JSON object. */
function taken(pieces: string[]): number {
  const p = new JsonObjectPrefix();
  let n = 0;
  for (const piece of pieces) {
    const k = p.feed(piece);
    n += k;
    if (k < piece.length) break;
  }
  return n;
}

const sdkReads = (text: string): unknown => partialParse(text);

/** `s` cut into pieces at `cuts` (modulo its length). */
const split = (s: string, cuts: number[]) => {
  const pts = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of pts) {
    out.push(s.slice(prev, p));
    prev = p;
  }
  out.push(s.slice(prev));
  return out;
};

describe('JsonObjectPrefix', () => {
  it('takes every JSON object whole, and the SDK reads each of its starts as an object', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
        fc.constantFrom(undefined, 1, '\t'),
        fc.array(fc.nat(), { maxLength: 5 }),
        (value, indent, cuts) => {
          const text = ` ${JSON.stringify(value, null, indent)}\n`;
          expect(taken(split(text, cuts))).toBe(text.length);
          for (let i = 1; i <= text.length; i++) {
            const start = text.slice(0, i);
            if (start.trim() === '') continue;
            const read = sdkReads(start);
            expect(read !== null && typeof read === 'object' && !Array.isArray(read)).toBe(true);
          }
        },
      ),
      { numRuns: FUZZ.runs / 10 },
    );
  });

  it('takes text of JSON characters up to where it stops being a start of an object, which the SDK reads', () => {
    const unit = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      ' ',
      '\\',
      'u',
      '0',
      '1',
      '-',
      '.',
      'e',
      '+',
      't',
      'r',
      'n',
      'a',
      'x',
      '\n',
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 24 }), fc.array(fc.nat(), { maxLength: 4 }), (body, cuts) => {
        const text = `{${body}`;
        const n = taken(split(text, cuts));
        let whole: unknown;
        try {
          whole = JSON.parse(text);
        } catch {
          whole = undefined;
        }
        if (whole !== undefined && typeof whole === 'object' && whole !== null && !Array.isArray(whole)) expect(n).toBe(text.length);
        // What is taken, the SDK reads.
        expect(() => sdkReads(text.slice(0, n))).not.toThrow();
      }),
      { numRuns: FUZZ.runs },
    );
  });

  it.each([
    ['{"a":1}}', 7],
    ['{"a":1} x', 8],
    ['{"a":1}{"b":2}', 7],
    ['{"a":01}', 6],
    ['{"a":1.}', 7],
    ['{"a":1e}', 7],
    ['{"a":-}', 6],
    ['{"a":tru}', 8],
    ['{"a":"x\\q"}', 8],
    ['{"a":"\\u12G4"}', 10],
    ['{"a":"x\ny"}', 7],
    ['{"a":1,}', 7],
    ['{"a":[1,]}', 8],
    ['{"a" 1}', 5],
    ['{"a":[}', 6],
    ['{,}', 1],
    ['[1]', 0],
    ['x', 0],
  ])('%j: taken up to character %i', (text, n) => {
    expect(taken([text])).toBe(n);
    expect(taken([...text])).toBe(n);
  });

  it('tells objects from arrays at any depth, and reads a new text after reset', () => {
    const text = `{"a":${'[{"b":'.repeat(1000)}1${'}]'.repeat(1000)}}`;
    expect(JSON.parse(text)).toBeTypeOf('object');
    expect(taken([text])).toBe(text.length);
    // A closer that is not what is open, 2,000 levels down: refused there.
    const wrong = `{"a":${'[{"b":'.repeat(1000)}1]`;
    expect(taken([wrong])).toBe(wrong.length - 1);
    const p = new JsonObjectPrefix();
    expect(p.feed('{"a":[[')).toBe(7);
    p.reset();
    expect(p.feed('{"b":1}')).toBe(7);
    expect(p.feed('}')).toBe(0);
  });

  it('nests as deep as the text goes', () => {
    const deep = `{"a":${'['.repeat(100_000)}`;
    expect(taken([deep])).toBe(deep.length);
    expect(taken([`${deep}}`])).toBe(deep.length);
  });
});
