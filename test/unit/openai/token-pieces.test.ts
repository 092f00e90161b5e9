/**
 * The counter cuts text into pieces so that no pre-token grows long: BPE merges a pre-token in time quadratic in its
 * length. The cuts read whitespace as four ASCII characters while the pre-tokenizer's `\s` is Unicode's, so a text
 * alternating a space with U+3000 (or U+00A0, U+2028) changed class every character — no run reached MAX_RUN, and each
 * 4,096-character segment was one pre-token: 40,960 such characters (80 KB of body) held the tokenizer thread for its
 * whole 2 s budget (1.6–2.3 s measured; as many letters, ~50 ms), and a client sending one count_tokens of them every 2 s
 * kept every other tenant's counts waiting. Likewise punctuation's tail `[\r\n/]*`, a slash and a newline alternating.
 * Measured here by the pieces the encoder is handed, not by time.
 */
import { describe, expect, it } from 'vitest';
import { makeBpeEncoder } from '../../../src/openai/bpe.js';
import { loadTokenCounter, makeCounter } from '../../../src/openai/tokens.js';

const { default: ranks } = await import('js-tiktoken/ranks/o200k_base');
const enc = makeBpeEncoder(ranks);

/** The longest piece handed to the encoder while counting `text`, and the count. */
function longestPiece(text: string): { longest: number; n: number } {
  let longest = 0;
  const spy = {
    encode(s: string) {
      longest = Math.max(longest, s.length);
      return enc.encode(s);
    },
  };
  const n = makeCounter(spy, { maxChars: 4 * 1024 * 1024, maxMs: Number.POSITIVE_INFINITY }).text(text);
  return { longest, n };
}

describe('a pre-token stays short whatever whitespace the text holds', () => {
  for (const [name, text] of [
    ['a space and U+3000', ' \u3000'.repeat(20_480)],
    ['a space and U+00A0', ' \u00a0'.repeat(20_480)],
    ['a newline and U+2028', '\n\u2028'.repeat(20_480)],
    ['a tab and a vertical tab', '\t\v'.repeat(20_480)],
    ["punctuation's tail of slashes and newlines", `.${'/\n'.repeat(20_480)}`],
  ] as const) {
    it(`alternating ${name}: no piece past a few runs`, () => {
      const { longest, n } = longestPiece(text);
      expect(longest).toBeLessThanOrEqual(256);
      expect(n).toBeGreaterThan(0);
    });
  }

  it('ordinary text is counted as before: exactly, whatever whitespace it holds', async () => {
    const tokens = await loadTokenCounter();
    expect(tokens.text('hello world, how are you today?')).toBe(8);
    // Within one segment (4,096 characters: its cuts are where the pre-tokenizer splits too, or nearly), with runs.
    const prose = 'Le prix\u00a0: 12\u00a0€ — voilà\u202f! Next line.\nA path/to/file\n\n\u3000\u3000 x'.repeat(50);
    expect(tokens.text(prose)).toBe(enc.encode(prose).length);
  });
});
