/**
 * JsonEnd (relay/json-end.ts) is the one sign that a body framed by its connection's close came whole: any JSON object
 * or array, however it is cut into reads, ends whole; every text cut short of its last byte does not — strings holding
 * brackets, quotes and backslashes escaped, non-ASCII text, blanks around it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { framedByClose, JsonEnd } from '../../../src/relay/json-end.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';

function read(text: Buffer, cuts: number[]): boolean {
  const e = new JsonEnd();
  let from = 0;
  for (const c of [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)) {
    e.feed(text.subarray(from, c));
    from = c;
  }
  e.feed(text.subarray(from));
  return e.whole;
}

const tricky = fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', 'a', 'é', '北', '🌍', '\n', ' ') });
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(tricky, fc.integer(), fc.boolean(), fc.constant(null)),
  node: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(tricky, tie('node'), { maxKeys: 4 }),
  ),
}));
const answer = fc.oneof(fc.array(value.node, { maxLength: 4 }), fc.dictionary(tricky, value.node, { maxKeys: 5 }));
const { runs, timeout } = fuzzRuns(500);

describe('JsonEnd', () => {
  it(
    'an object or array is whole however it is read; cut anywhere before its last byte, it is not',
    () => {
      fc.assert(
        fc.property(answer, fc.constantFrom('', ' ', '\n'), fc.array(fc.nat(), { maxLength: 6 }), fc.nat(), (v, blank, cuts, at) => {
          const text = Buffer.from(`${blank}${JSON.stringify(v, null, blank ? 1 : 0)}`);
          expect(read(Buffer.concat([text, Buffer.from(blank)]), cuts)).toBe(true);
          const cut = blank.length + (at % (text.length - blank.length));
          expect(read(text.subarray(0, cut), cuts)).toBe(false);
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it('a text that opens with no object or array is not judged', () => {
    for (const t of ['"a', '12', '\ufeff{', 'null']) expect(read(Buffer.from(t), [])).toBe(true);
  });

  it('framedByClose: neither a content-length nor chunks last', () => {
    expect(framedByClose({})).toBe(true);
    expect(framedByClose({ 'transfer-encoding': 'chunked, gzip' })).toBe(true);
    expect(framedByClose({ 'transfer-encoding': 'gzip, Chunked ' })).toBe(false);
    expect(framedByClose({ 'content-length': '5' })).toBe(false);
  });
});
