/**
 * JsonEnd (relay/json-end.ts) is the one sign that a body framed by its connection's close came whole: any JSON object
 * or array, however it is cut into reads, ends whole; every text cut short of its last byte does not — strings holding
 * brackets, quotes and backslashes escaped, non-ASCII text, blanks around it, a byte-order mark before it.
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
      // A byte-order mark before it too (the gateway takes such a body for an answer: exchange.ts, error-head.ts).
      const leads = fc.constantFrom('', ' ', '\n', '\ufeff', '\ufeff\n');
      fc.assert(
        fc.property(answer, leads, fc.array(fc.nat(), { maxLength: 6 }), fc.nat(), (v, blank, cuts, at) => {
          const text = Buffer.from(`${blank}${JSON.stringify(v, null, blank ? 1 : 0)}`);
          expect(read(Buffer.concat([text, Buffer.from(blank.replace('\ufeff', ''))]), cuts)).toBe(true);
          const lead = Buffer.byteLength(blank);
          const cut = lead + (at % (text.length - lead));
          expect(read(text.subarray(0, cut), cuts)).toBe(false);
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it('a text that opens with no object or array is not judged', () => {
    for (const t of ['"a', '12', 'null', '\ufeff"a', '\uFEFF\uFEFF{', '\u00ef{']) expect(read(Buffer.from(t), [])).toBe(true);
  });

  it('a byte-order mark before an object is read past, its bytes in pieces or not: cut inside the object, not whole', () => {
    const text = Buffer.from('\ufeff{"a":[1');
    for (let c = 1; c < 4; c++) expect(read(text, [c])).toBe(false);
    expect(read(text, [1, 2])).toBe(false);
    expect(read(Buffer.from('\ufeff {"a":[1]}'), [2])).toBe(true);
  });

  it('framedByClose: neither a content-length nor chunks last', () => {
    expect(framedByClose({})).toBe(true);
    expect(framedByClose({ 'transfer-encoding': 'chunked, gzip' })).toBe(true);
    expect(framedByClose({ 'transfer-encoding': 'gzip, Chunked ' })).toBe(false);
    expect(framedByClose({ 'content-length': '5' })).toBe(false);
  });
});
