/**
 * openai/bpe.ts against js-tiktoken, the judge: the same ids for any text (o200k, differential), the same merges
 * on small hand-made rank files (ties, whole-piece tokens, bytes without a rank), and clear errors for a rank
 * file it cannot read. `npm test` runs FUZZ_RUNS (default 4,000); `npm run fuzz` runs 200,000.
 */
import fc from 'fast-check';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';
import { type BpeRanks, makeBpeEncoder } from '../../../src/openai/bpe.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';

const { runs: RUNS, timeout: TIMEOUT } = fuzzRuns(4000, { msPerCase: 5 });

const judge = new Tiktoken(o200k);
const ours = makeBpeEncoder(o200k);
/** js-tiktoken with no special token allowed or refused: special-token text is ordinary text, as ours treats it. */
const expected = (s: string) => judge.encode(s, [], []);

/** Pieces that steer o200k's pre-tokenizer into each of its alternatives, joined at random. */
const tricky = fc.constantFrom(
  ' ',
  '  ',
  '\n',
  '\r\n',
  '\t',
  "'s",
  "'LL",
  "'re",
  'Hello',
  'wORLD',
  'ǅ',
  'e\u0301',
  '123',
  '4567',
  '3.14',
  '北京',
  'наука',
  '🌍',
  '👩‍👩‍👧',
  '\ud800',
  '\udfff',
  '<|endoftext|>',
  '<|endofprompt|>',
  '!!!',
  '.../',
  '\u00a0',
  '\u2028',
);
const texts = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.array(tricky, { maxLength: 12 }).map((xs) => xs.join('')),
  fc.array(fc.oneof(tricky, fc.string({ maxLength: 6 })), { maxLength: 10 }).map((xs) => xs.join('')),
);

describe('o200k: the compact encoder and js-tiktoken give the same ids', () => {
  it('holds all of o200k', () => {
    expect(ours.size).toBe(199_998);
  });

  it.each([
    ['empty', ''],
    ['ordinary English', 'hello world, how are you today?'],
    ['a whole-piece token', ' the'],
    ['contractions and numbers', "I'm sure you'LL pay 1234567 or 3.14159"],
    ['whitespace runs and line ends', 'a  \t \r\n\r\n   b\n\n\n  '],
    ['CJK, Cyrillic, emoji, a ZWJ family', '北京欢迎你 наука 🌍👩‍👩‍👧'],
    ['lone surrogates (replaced as TextEncoder replaces them)', 'x\ud800y\udfffz'],
    ['special-token text as ordinary text', '<|endoftext|>hi<|endofprompt|>'],
    ['a long run with no whitespace', 'abcdefghijklmnopqrstuvwxyz'.repeat(8)],
    ['one repeated letter (ties everywhere)', 'a'.repeat(200)],
    ['repeated multibyte letters', 'é'.repeat(100)],
  ])('%s', (_name, text) => {
    expect(ours.encode(text)).toEqual(expected(text));
  });

  it(
    'for any text',
    () => {
      fc.assert(
        fc.property(texts, (s) => {
          expect(ours.encode(s)).toEqual(expected(s));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});

/** A rank file from tokens in rank order, on lines of `per` tokens each (offsets continue across lines). */
const rankFile = (tokens: string[], per = 3, pat = '\\S+|\\s+'): BpeRanks => {
  const lines: string[] = [];
  for (let i = 0; i < tokens.length; i += per)
    lines.push(
      `line${i} ${i} ${tokens
        .slice(i, i + per)
        .map((t) => Buffer.from(t, 'latin1').toString('base64'))
        .join(' ')}`,
    );
  return { pat_str: pat, bpe_ranks: `${lines.join('\n')}\n` };
};

describe('merges on hand-made rank files, as js-tiktoken merges', () => {
  const ranks = rankFile(['a', 'b', 'c', ' ', 'aa', 'ab', 'bc', 'aab', 'abc', 'bcbc']);
  const small = makeBpeEncoder(ranks);
  const tiktoken = new Tiktoken({ ...ranks, special_tokens: {} });
  // js-tiktoken answers `undefined` for a one-byte piece with no rank (o200k ranks every byte); ours leaves it out.
  const smallJudge = { encode: (s: string) => tiktoken.encode(s, [], []).filter((id) => id !== undefined) };

  it.each([
    ['a tie goes to the leftmost pair', 'aaa'],
    ['the lowest rank first, whatever its place', 'aabc'],
    ['a piece that is a token is one id', 'aab'],
    ['merges that stop when no pair has a rank', 'cab'],
    ['a byte with no rank is left out', 'adb'],
    ['pieces split by the pattern', 'abc bcbc  aa'],
    ['a long run', 'abcabcaab'.repeat(20)],
  ])('%s', (_name, text) => {
    expect(small.encode(text)).toEqual(smallJudge.encode(text));
  });

  it('for any text over its alphabet', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', ' ', 'd'), { maxLength: 40 }), (cs) => {
        const s = cs.join('');
        expect(small.encode(s)).toEqual(smallJudge.encode(s));
      }),
      { numRuns: Math.min(RUNS, 2000) },
    );
  });

  it('reuses nothing between calls (each call starts afresh)', () => {
    const long = small.encode('abc'.repeat(500));
    expect(small.encode('aa')).toEqual([4]);
    expect(small.encode('abc'.repeat(500))).toEqual(long);
  });
});

describe('a rank file it cannot read', () => {
  it.each([
    ['a character outside base64', { pat_str: '\\S+', bpe_ranks: 'x 0 YQ== Y!==\n' }, /bad base64 character/],
    ['an offset that is not a number', { pat_str: '\\S+', bpe_ranks: 'x 1a YQ==\n' }, /bad offset/],
  ])('%s is refused with a message', (_name, ranks, message) => {
    expect(() => makeBpeEncoder(ranks)).toThrow(message);
  });

  it('skips blank lines and a line with no tokens', () => {
    const enc = makeBpeEncoder({ pat_str: '\\S+', bpe_ranks: '\nx 0 YQ==\n\nlonely\ny 1 Yg==\n' });
    expect(enc.size).toBe(2);
    expect(enc.encode('ab ba')).toEqual([0, 1, 1, 0]);
  });

  it('does not loop on a pattern that can match nothing', () => {
    const enc = makeBpeEncoder({ pat_str: 'a*', bpe_ranks: 'x 0 YQ==\n' });
    expect(enc.encode('aab🌍a')).toEqual([0, 0, 0]);
  });
});
