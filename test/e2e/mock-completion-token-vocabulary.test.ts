/**
 * The vLLM mock answered a prompt of token ids outside its vocabulary — below 0, or past o200k's last id — where vLLM's
 * engine refuses it 400 ("Token id N is out of vocabulary"), and hashed such ids for its prefix cache as 32-bit
 * integers: a prompt of ids 2^32 above another's was a cache hit for a prompt the mock never saw. The Azure mock (OpenAI's
 * API, which refuses them too: "Invalid token in prompt: N. …") answered them as well.
 */
import { describe, expect, it } from 'vitest';
import { MAX_TOKEN_ID } from '../../src/mock/vllm.js';
import { postJson, useMock } from '../helpers/mocks.js';

const mock = await useMock({ name: 'v', kind: 'vllm', prefixCache: { blocks: 64, blockTokens: 16, prefillPerToken: 0 } });
const complete = (prompt: unknown) => postJson(`${mock.url}/v1/completions`, { model: 'v', prompt, max_tokens: 2 });

describe('the vLLM mock, token ids outside its vocabulary', () => {
  const refused: [string, unknown, number][] = [
    ['a negative id', [7, -5, 1], -5],
    ['an id past the vocabulary', [1, 1e15, 3], 1e15],
    ['the id just past it', [MAX_TOKEN_ID + 1], MAX_TOKEN_ID + 1],
    ['a chat-template marker of its own', [0xffff_ff00], 0xffff_ff00],
    ['a batch of one', [[3, 300_000]], 300_000],
    ['a negative id beside a huge one (vLLM names the lowest)', [1e9, -1], -1],
  ];
  for (const [name, prompt, id] of refused) {
    it(`is refused 400 as vLLM refuses it: ${name}`, async () => {
      const r = await complete(prompt);
      expect(r.status).toBe(400);
      const body = (await r.json()) as { error: { message: string; type: string; code: number } };
      expect(body.error).toMatchObject({ message: `Token id ${id} is out of vocabulary`, type: 'BadRequestError', code: 400 });
    });
  }

  it('ids within it are answered, the last one included', async () => {
    const r = await complete([0, MAX_TOKEN_ID]);
    expect(r.status).toBe(200);
    expect(((await r.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBe(2);
  });

  it('a prompt 2^32 apart from a cached one is no cache hit', async () => {
    const ids = Array.from({ length: 32 }, (_, i) => 1000 + i);
    expect((await complete(ids)).status).toBe(200);
    const r = await complete(ids.map((t) => t + 2 ** 32));
    const body = (await r.json()) as { usage?: { prompt_tokens_details?: { cached_tokens: number } } };
    expect(body.usage?.prompt_tokens_details?.cached_tokens ?? 0).toBe(0);
    expect(r.status).toBe(400);
  });
});

describe('the Azure mock, token ids outside its vocabulary', async () => {
  const KEY = 'azure-key';
  const azure = await useMock({ name: 'a', kind: 'azure-openai', models: ['inst'], apiKey: KEY });
  const url = `${azure.url}/openai/deployments/inst/completions?api-version=2024-10-21`;
  const complete = (prompt: unknown) => postJson(url, { prompt, max_tokens: 2 }, { 'api-key': KEY });

  it('is refused 400 in its shape, naming the first as OpenAI does', async () => {
    const r = await complete([5, 300_000, -1]);
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('BadRequest');
    expect(body.error.message).toBe(`Invalid token in prompt: 300000. Minimum value is 0, maximum value is ${MAX_TOKEN_ID} (inclusive).`);
  });

  it('ids within it are answered', async () => {
    expect((await complete([0, MAX_TOKEN_ID])).status).toBe(200);
  });
});
