/**
 * The vLLM mock's legacy completions facing the fields it did not read: `echo: true` was answered without the prompt
 * (vLLM and OpenAI begin the choice's text with it), `echo` with `max_tokens: 0` — a prompt scored, which vLLM
 * answers with the prompt alone — was a 400, `suffix` was answered as if absent (vLLM refuses it: "suffix is not
 * currently supported") and `logprobs` was answered `null` (vLLM returns them): a client that worked against the
 * mock met another answer from the real server. Now the echo is written, the suffix refused as vLLM refuses it, and
 * logprobs, which the mock does not make, refused by name rather than answered null.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ONE_MOCK_PROFILE, useGateway } from '../helpers/gateway.js';

const gw = await useGateway(ONE_MOCK_PROFILE);
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const PROMPT = 'the "cat" sat\non the mat';

async function streamedText(body: Record<string, unknown>): Promise<string> {
  const stream = await client.completions.create({ model: 'm', prompt: PROMPT, seed: 7, ...body, stream: true });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.text ?? '';
  return text;
}

describe('the vLLM mock, a completion with echo: true', () => {
  it('begins the text with the prompt, then what it generates without echo (streamed or not)', async () => {
    const plain = await client.completions.create({ model: 'm', prompt: PROMPT, seed: 7, max_tokens: 5 });
    const echoed = await client.completions.create({ model: 'm', prompt: PROMPT, seed: 7, max_tokens: 5, echo: true });
    expect(echoed.choices[0]!.text).toBe(PROMPT + plain.choices[0]!.text);
    expect(echoed.usage).toEqual(plain.usage);
    expect(await streamedText({ max_tokens: 5, echo: true })).toBe(PROMPT + plain.choices[0]!.text);
  });

  it('with max_tokens 0 answers the prompt alone (a prompt scored), streamed or not', async () => {
    const r = await client.completions.create({ model: 'm', prompt: PROMPT, max_tokens: 0, echo: true });
    expect(r.choices[0]!.text).toBe(PROMPT);
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(await streamedText({ max_tokens: 0, echo: true })).toBe(PROMPT);
  });
});

describe('the vLLM mock refuses what vLLM refuses or what it cannot make', () => {
  it('refuses suffix 400, as vLLM does', async () => {
    const r = await client.completions.create({ model: 'm', prompt: PROMPT, max_tokens: 2, suffix: 'x' }).catch((e: unknown) => e);
    expect(r).toBeInstanceOf(OpenAI.BadRequestError);
    expect((r as Error).message).toContain('suffix is not currently supported');
  });

  it('refuses logprobs by name rather than answer them null', async () => {
    const r = await client.completions.create({ model: 'm', prompt: PROMPT, max_tokens: 2, logprobs: 1 }).catch((e: unknown) => e);
    expect(r).toBeInstanceOf(OpenAI.BadRequestError);
    expect((r as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('logprobs');
    const chat = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, logprobs: true })
      .catch((e: unknown) => e);
    expect(chat).toBeInstanceOf(OpenAI.BadRequestError);
    // logprobs: false asks for none, and is answered.
    const none = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 2,
      logprobs: false,
    });
    expect(none.choices[0]!.logprobs).toBeNull();
  });
});
