/**
 * A completion with `echo: true` and `max_tokens: 0` scores a prompt: the answer is the prompt itself with its
 * logprobs, nothing generated (OpenAI's legacy completions took it, and vLLM does: "OpenAI API supports echoing the
 * prompt when max_tokens is 0"; it generates one token and drops it). Perplexity scorers and eval harnesses send it.
 * The gateway refused every max_tokens of 0 with a 400, so a scoring client that worked against vLLM failed through
 * it. Without echo, max_tokens 0 is still refused, as vLLM refuses it.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ONE_BACKEND_PROFILE, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

/** A backend that answers as vLLM does: with echo and max_tokens 0, the prompt alone, one token generated and dropped. */
const up = await useUpstream((_req, res, body) => {
  const { prompt, echo, max_tokens } = JSON.parse(body) as { prompt: string; echo?: boolean; max_tokens?: number };
  if (max_tokens === 0 && !echo) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'error', message: 'max_tokens must be at least 1, got 0.', type: 'BadRequestError', code: 400 }));
    return;
  }
  const logprobs = { tokens: ['a'], token_logprobs: [null], top_logprobs: [null], text_offset: [0] };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'cmpl-1',
      object: 'text_completion',
      created: 0,
      model: 'm',
      choices: [{ index: 0, text: prompt, logprobs, finish_reason: 'length' }],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    }),
  );
});
const gw = await useGateway(ONE_BACKEND_PROFILE, { b: up.url });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });

describe('a completion that scores its prompt (echo: true, max_tokens: 0)', () => {
  it('is served as vLLM serves it: the prompt back, with its logprobs', async () => {
    const r = await client.completions
      .create({ model: 'm', prompt: 'the cat sat', echo: true, max_tokens: 0, logprobs: 1 }, { headers: { 'x-request-id': 'score-1' } })
      .catch((e: Error) => e);
    expect(r).not.toBeInstanceOf(Error);
    const c = r as OpenAI.Completions.Completion;
    expect(c.choices[0]!.text).toBe('the cat sat');
    expect(c.choices[0]!.logprobs?.tokens).toEqual(['a']);
    // It went upstream as asked, and is charged the one token the backend says it generated.
    expect(JSON.parse(up.seen.at(-1)!.body).max_tokens).toBe(0);
    const e = await gw.requestEvent('score-1');
    expect(e.tokens.output).toBe(1);
    expect(e.tokens.input).toBe(3);
  });

  it('without echo, max_tokens 0 is still refused 400, as vLLM refuses it', async () => {
    const r = await client.completions.create({ model: 'm', prompt: 'the cat sat', max_tokens: 0 }).catch((e: unknown) => e);
    expect(r).toBeInstanceOf(OpenAI.BadRequestError);
    expect((r as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('max_tokens');
  });
});
