/**
 * exact-json.ts: a body with stand-ins is the value with each held text in its place, as written (a 19-digit number
 * exact), and a client's string that looks like a stand-in — U+0000, digits — stays a string.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactJson } from '../../../src/translate/exact-json.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';

const FUZZ = fuzzRuns(300, { msPerCase: 1, share: 0.01 });

describe('ExactJson', () => {
  it(
    'each held text where its stand-in was, and nothing else changed',
    () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.oneof(
              fc.jsonValue().map((v) => ({ held: JSON.stringify(v, null, 1) })),
              fc.string({ unit: fc.constantFrom('\u0000', '0', '1', '"', 'a') }),
            ),
            { maxLength: 8 },
          ),
          (items) => {
            const exact = new ExactJson();
            const value = items.map((it) => (typeof it === 'string' ? it : { in: exact.hold(it.held) }));
            const body = exact.serialize(value)!;
            const expected = items.map((it) => (typeof it === 'string' ? it : { in: JSON.parse(it.held) }));
            expect(JSON.parse(body)).toEqual(expected);
          },
        ),
        { numRuns: FUZZ.runs },
      );
    },
    FUZZ.timeout,
  );

  it('a number past 2^53 as written', () => {
    const exact = new ExactJson();
    expect(exact.serialize({ input: exact.hold('{"id": 12345678901234567891}') })).toBe('{"input":{"id": 12345678901234567891}}');
    expect(new ExactJson().serialize({ a: '\u0000x0' })).toBe('{"a":"\\u0000x0"}');
  });
});
