/**
 * The vLLM mock answered an empty prompt — `""`, `[]`, `[[]]` (no token ids) — with a completion of 0 prompt tokens,
 * where vLLM refuses it 400 (its request validator: "Either prompt or prompt_embeds must be provided and non-empty.";
 * its engine: "The decoder prompt cannot be empty", which eval harnesses and chunkers meet when a template renders to
 * nothing): a client whose blank prompts passed against the mock failed against the real server.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ONE_MOCK_PROFILE, useGateway } from '../helpers/gateway.js';

const gw = await useGateway(ONE_MOCK_PROFILE);
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });

describe('the vLLM mock, an empty prompt', () => {
  for (const prompt of ['', [], [[]]] as const) {
    it(`is refused 400 as vLLM refuses it (${JSON.stringify(prompt)})`, async () => {
      const r = await client.completions
        .create({ model: 'm', prompt: prompt as unknown as string, max_tokens: 2 })
        .catch((e: unknown) => e);
      expect(r).toBeInstanceOf(OpenAI.BadRequestError);
      expect((r as Error).message).toMatch(/non-empty|cannot be empty/);
    });
  }

  it('a prompt of one token id is answered', async () => {
    const r = await client.completions.create({ model: 'm', prompt: [1], max_tokens: 2 });
    expect(r.usage?.prompt_tokens).toBe(1);
  });
});
