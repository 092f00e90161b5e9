/**
 * A prefix-cached mock reports the prompt_tokens an uncached one does (contract §5: usage is exact): the cache's token
 * stream left out the name marker of a message whose `name` is "", which the count (OpenAI's chat accounting:
 * tokens_per_name for any name) includes — a conversation of such messages was one token short per message, on the
 * cached mock only, so a fleet's mocks disagreed about the same prompt.
 */
import { describe, expect, it } from 'vitest';
import { postJson, useMock } from '../helpers/mocks.js';

const cached = await useMock({ name: 'cached', kind: 'vllm', prefixCache: { blocks: 64, blockTokens: 16, prefillPerToken: 0 } });

const promptTokens = async (url: string, messages: unknown[]) => {
  const r = await postJson(`${url}/v1/chat/completions`, { model: 'm', messages, max_tokens: 1 });
  expect(r.status).toBe(200);
  return ((await r.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
};

describe('a prefix-cached mock counts a prompt as an uncached one does', () => {
  it.each([
    ['an empty name', [{ role: 'user', content: 'hello there', name: '' }]],
    [
      'empty names on every turn',
      [
        { role: 'system', content: 'be brief', name: '' },
        { role: 'user', content: 'hello there', name: '' },
        { role: 'assistant', content: 'hi', name: '' },
        { role: 'user', content: 'and then?', name: '' },
      ],
    ],
    ['a name', [{ role: 'user', content: 'hello there', name: 'alice' }]],
    ['no name', [{ role: 'user', content: 'hello there' }]],
  ])('%s', async (_, messages) => {
    // A mock of its own for each case: an uncached mock remembers counts, and this compares counts, not memories.
    const plain = await useMock({ name: 'plain', kind: 'vllm' });
    expect(await promptTokens(cached.url, messages)).toBe(await promptTokens(plain.url, messages));
  });
});
