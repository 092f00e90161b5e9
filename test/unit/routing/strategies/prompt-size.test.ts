/** The prompt-size estimate routing compares with escalation bounds and context windows. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadTokenCounter } from '../../../../src/openai/tokens.js';
import { estimatePromptTokens } from '../../../../src/routing/prompt-size.js';

describe('estimatePromptTokens', () => {
  const cases: [string, { messages?: unknown; prompt?: unknown }, number][] = [
    ['a chat: 4 characters a token, 3 a message', { messages: [{ role: 'user', content: 'x'.repeat(400) }] }, 3 + Math.ceil(404 / 4)],
    [
      'content parts: their text',
      { messages: [{ role: 'user', content: [{ type: 'text', text: 'abcd' }, { type: 'image_url' }] }] },
      3 + 2,
    ],
    ['a completion prompt', { prompt: 'y'.repeat(40) }, 10],
    ['token ids count as themselves', { prompt: [1, 2, 3] }, 3],
    ['batches of token ids too', { prompt: [[1, 2], [3]] }, 3],
    ['junk counts nothing', { messages: [null, 5, 'x'] }, 0],
    ['nothing at all', {}, 0],
  ];
  it.each(cases)('%s', (_name, body, want) => {
    expect(estimatePromptTokens(body)).toBe(want);
  });

  it('is within a factor of two of the real count for ordinary English', async () => {
    const tokens = await loadTokenCounter();
    const text = 'The quick brown fox jumps over the lazy dog, and then it rests for a while in the sun. '.repeat(50);
    const messages = [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: text },
    ];
    const real = tokens.chat(messages);
    const est = estimatePromptTokens({ messages });
    expect(est / real).toBeGreaterThan(0.5);
    expect(est / real).toBeLessThan(2);
  });

  it('never throws on hostile JSON', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (messages, prompt) => {
        expect(estimatePromptTokens({ messages, prompt })).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
