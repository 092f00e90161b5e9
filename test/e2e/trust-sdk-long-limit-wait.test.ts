/**
 * A tenant 429 whose wait is past a minute — a token debt draining for minutes after an answer far over its
 * reservation, or `rateWindow` longer than a minute — said its `retry-after` and nothing else unless it was a budget's:
 * openai-node (6.x) and @anthropic-ai/sdk sleep any retry-after inside the call, unabortable, before retrying a 429,
 * so a client's `create()` hung the whole wait, twice. Any limit's wait past 60 s now carries `x-should-retry: false`,
 * as the budget's did: both SDKs throw at once with the wait in the headers. (SDK review)
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
limits: { rateWindow: 10m }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k], limits: { rpm: 1 } }
`);
const msgs = [{ role: 'user' as const, content: 'hi' }];

describe('a tenant 429 whose wait is past a minute, through the SDKs', () => {
  it('says x-should-retry: false beside its retry-after: openai-node and @anthropic-ai/sdk throw at once', async () => {
    const once = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
    await once.chat.completions.create({ model: 'm', messages: msgs, max_tokens: 2 });
    const err = (await once.chat.completions
      .create({ model: 'm', messages: msgs, max_tokens: 2 })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Number(err.headers?.get('retry-after'))).toBeGreaterThan(60);
    expect(err.headers?.get('x-should-retry')).toBe('false');
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k' });
    await expect(openai.chat.completions.create({ model: 'm', messages: msgs, max_tokens: 2 })).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'k' });
    await expect(anthropic.messages.create({ model: 'm', max_tokens: 2, messages: msgs })).rejects.toBeInstanceOf(Anthropic.RateLimitError);
  }, 5000);
});
