/**
 * The body decoder (core/utf8-text.ts) against Node's own `toString('utf8')`, differentially: whichever way it
 * decodes, the text is the same, and its flags say truly whether offsets are byte offsets and whether the
 * bytes can be sent as they came. `npm run fuzz` runs 200,000 of each.
 */
import fc from 'fast-check';
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { utf8Text } from '../../../src/core/utf8-text.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';

const { runs: RUNS, timeout: TIMEOUT } = fuzzRuns(4000);

/** ASCII that takes a short body past the size from which ICU decodes, so either way is checked. */
const PAD = Buffer.alloc(512, 0x20);

function check(bytes: Buffer): void {
  checkOne(bytes);
  checkOne(Buffer.concat([PAD, bytes]));
}

function checkOne(bytes: Buffer): void {
  const got = utf8Text(bytes);
  const text = bytes.toString('utf8');
  expect(got.text).toBe(text);
  expect(got.ascii).toBe(bytes.every((b) => b < 0x80));
  expect(got.valid).toBe(Buffer.from(text).equals(bytes));
}

describe('utf8Text decodes as toString("utf8") does', () => {
  it(
    'for text in any script (astral characters, lone surrogates made U+FFFD)',
    () => {
      const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));
      fc.assert(
        fc.property(text, (s) => check(Buffer.from(s))),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'for any bytes, valid UTF-8 or not (truncated, overlong, surrogate and stray continuation bytes)',
    () => {
      const piece = fc.oneof(
        fc.string({ unit: 'grapheme' }).map((s) => [...Buffer.from(s)]),
        fc.constantFrom([0x80], [0xc3], [0xe6, 0x95], [0xc0, 0xaf], [0xff], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]),
        fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 }),
      );
      fc.assert(
        fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => check(Buffer.from(pieces.flat()))),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it.each([
    ['empty', ''],
    ['ASCII', '{"model":"m"}'],
    ['CJK', '{"content":"敏捷的棕色狐狸"}'],
    ['astral', '{"content":"🦊"}'],
    ['a BOM, kept', '\uFEFF{}'],
  ])('%s', (_name, s) => check(Buffer.from(s)));
});

describe('utf8Text keeps a large text within Latin-1 one byte a character', () => {
  // V8's serializer tags a one-byte string '"' and a two-byte one 'c'. Decoded through ICU, 2 MiB of French
  // prose within Latin-1 stayed two bytes a character, outside the heap: twice the memory V8's own decoding takes.
  const representation = (text: string) => (serialize(text)[2] === 0x22 ? 'one byte' : 'two bytes');
  const repeat = (s: string, bytes: number) => s.repeat(Math.ceil(bytes / Buffer.byteLength(s)));

  it.each([
    ['French within Latin-1, 2 MiB', repeat('Déjà été, où ça? Très bien, garçon. ', 2 << 20), 'one byte'],
    [
      'every character of U+0080–U+00FF between ASCII, 1 MiB',
      repeat(Array.from({ length: 128 }, (_, i) => `a${String.fromCharCode(0x80 + i)}`).join(''), 1 << 20),
      'one byte',
    ],
    ['German within Latin-1, 64 KiB', repeat('Grüße aus München, schöne Straße. ', 64 << 10), 'one byte'],
    ['Cyrillic, 2 MiB', repeat('Съешь же ещё этих мягких булок. ', 2 << 20), 'two bytes'],
  ])('%s', (_name, text, expected) => {
    const got = utf8Text(Buffer.from(text));
    expect(got.text).toBe(text);
    expect(representation(got.text)).toBe(expected);
  });
});
