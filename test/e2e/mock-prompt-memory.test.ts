/**
 * A mock given many large, distinct prompts on a real socket keeps none of them once answered: the count cache
 * (prefill.ts) remembered 2,048 prompts by their whole text, each up to the 64 MiB body bound.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { chat, postJson, useMock } from '../helpers/mocks.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('a mock counting prompts', () => {
  it('holds no prompt text after answering: 24 distinct 2 MB prompts leave the heap where it was', async () => {
    const mock = await useMock({ name: 'v', kind: 'vllm' });
    const send = async (i: number) => {
      const r = await postJson(`${mock.url}/v1/chat/completions`, chat(`${i} ${'word '.repeat(400_000)}`, { max_tokens: 1 }));
      expect(r.status).toBe(200);
      await r.text();
    };
    await send(-1);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 24; i++) await send(i);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // Kept whole, the prompts are 48 MB.
    expect(grown).toBeLessThan(16 * 1024 * 1024);
  });

  it('still counts a repeated long prompt the same', async () => {
    const mock = await useMock({ name: 'v', kind: 'vllm' });
    const usage = async (content: string) => {
      const r = await postJson(`${mock.url}/v1/chat/completions`, chat(content, { max_tokens: 1 }));
      return ((await r.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
    };
    const long = 'word '.repeat(1000);
    const first = await usage(long);
    expect(first).toBeGreaterThan(1000);
    expect(await usage(long)).toBe(first);
    expect(await usage(`${long}and three more`)).toBeGreaterThan(first);
  });
});
