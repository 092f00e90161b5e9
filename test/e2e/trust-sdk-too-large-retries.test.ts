/**
 * An answer over the response buffer (`onOverflow: error`) is refused 502 `response_too_large` after the backend
 * generated it whole — and the same request asks for the same answer again. openai-node and @anthropic-ai/sdk retry
 * every 5xx twice by default (0.5 s, then 1 s), so each such request made the backend generate its oversized answer
 * three times before the client saw the error. The refusal says `x-should-retry: false`, which both SDKs obey.
 * (SDK review)
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const big = 'x'.repeat(8192);
const backend = await useUpstream((_req, res) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      id: 'c',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: big }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 2048, total_tokens: 2049 },
    }),
  ),
);

const gw = await useGateway(
  `
version: 1
limits: { responseBuffer: { mode: buffered, maxBytes: 1Ki, onOverflow: error } }
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
`,
  { b: backend.url },
);

describe('an answer over the response buffer, through the SDKs with their default retries', () => {
  it('openai-node gets its 502 response_too_large from one generation, not three', async () => {
    const before = backend.seen.length;
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused' });
    const err = await openai.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'a long story' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('response_too_large');
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get('x-should-retry')).toBe('false');
    expect(backend.seen.length - before).toBe(1);
  });

  it('@anthropic-ai/sdk, translated to the OpenAI backend and held whole, alike', async () => {
    const before = backend.seen.length;
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'unused' });
    const err = await anthropic.messages
      .create({ model: 'm', max_tokens: 4096, messages: [{ role: 'user', content: 'a long story' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect((err as InstanceType<typeof Anthropic.APIError>).headers?.get('x-should-retry')).toBe('false');
    expect(backend.seen.length - before).toBe(1);
  });
});
