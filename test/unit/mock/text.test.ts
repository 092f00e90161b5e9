import { describe, expect, it } from 'vitest';
import { loadTokenCounter } from '../../../src/openai/tokens.js';
import { chatPromptKey, generatedByteLength, generateText, textSeed, TokenSource, VOCABULARY } from '../../../src/mock/text.js';

describe('the deterministic text generator', () => {
  it('has 256 entries, each one o200k token with its leading space, some multibyte', async () => {
    const tokens = await loadTokenCounter();
    expect(VOCABULARY).toHaveLength(256);
    expect(new Set(VOCABULARY).size).toBe(256);
    for (const w of VOCABULARY) expect(tokens.text(` ${w}`), w).toBe(1);
    expect(VOCABULARY.filter((w) => Buffer.byteLength(w) > w.length).length).toBeGreaterThanOrEqual(8);
  });

  it('is a function of prompt, seed and token count only, and each answer is a prefix of a longer one', () => {
    const key = chatPromptKey([{ role: 'user', content: 'hello' }]);
    expect(generateText(key, 7, 50)).toBe(generateText(key, 7, 50));
    expect(generateText(key, 7, 100).startsWith(generateText(key, 7, 50))).toBe(true);
    expect(generateText(key, 8, 50)).not.toBe(generateText(key, 7, 50));
    expect(generateText(`${key}!`, 7, 50)).not.toBe(generateText(key, 7, 50));
    expect(generateText(key, 7, 50).split(' ')).toHaveLength(50);
  });

  it('computes the byte length without building the text', () => {
    const key = 'user\nlength';
    expect(generatedByteLength(key, 1, 5000)).toBe(Buffer.byteLength(generateText(key, 1, 5000)));
  });

  it('streams the same bytes token by token', () => {
    const src = new TokenSource(textSeed('k', 3));
    const parts = Array.from({ length: 20 }, () => src.next());
    expect(Buffer.concat(parts).toString()).toBe(generateText('k', 3, 20));
  });
});

describe('token counting stays bounded', () => {
  it('counts ordinary text exactly and a 40k-character run in seconds, not the minutes it takes unbounded', async () => {
    const tokens = await loadTokenCounter();
    expect(tokens.text('hello world, how are you today?')).toBe(8);
    const run = Array.from({ length: 40_000 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
    const t = performance.now();
    const n = tokens.text(run);
    expect(n).toBeGreaterThan(1000);
    // Unbounded, js-tiktoken takes minutes on this input (reliability.md); bounded it is well under a second; the bound leaves room for a loaded machine.
    expect(performance.now() - t).toBeLessThan(15_000);
  });
});
