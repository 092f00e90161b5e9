/**
 * A backend's 429 or 503 with a long `retry-after` (a provider's quota window: an hour) is passed on with the 502 —
 * up to a day — and openai-node (6.x) and @anthropic-ai/sdk sleep whatever a retry-after says before retrying a 5xx,
 * inside the call, with no timeout over the sleep and no way to abort it: a client's `create()` hung an hour, twice,
 * before it saw the error. Past a minute (what the gateway's own budget 429 already marks so), the 502 now says
 * `x-should-retry: false` beside its retry-after: the error comes at once, the schedule stays the client's to keep.
 * A short one stays retryable. (SDK review)
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const busy = (seconds: string) =>
  useUpstream((_req, res) =>
    res
      .writeHead(429, { 'content-type': 'application/json', 'retry-after': seconds })
      .end('{"error":{"message":"quota exhausted for this hour","type":"rate_limit_error"}}'),
  );
const hour = await busy('3600');
const brief = await busy('2');

const gw = await useGateway(
  `
version: 1
backends:
  hour: { url: "{{hour}}" }
  brief: { url: "{{brief}}" }
models:
  hour: { targets: [{ backend: hour }] }
  brief: { targets: [{ backend: brief }] }
`,
  { hour: hour.url, brief: brief.url },
);
const msgs = [{ role: 'user' as const, content: 'hi' }];

describe("a backend's long retry-after, passed on to the SDKs", () => {
  it('says x-should-retry: false beside it, so openai-node fails at once instead of sleeping an hour', async () => {
    const once = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const err = (await once.chat.completions.create({ model: 'hour', messages: msgs }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(err.status).toBe(502);
    expect(err.headers?.get('retry-after')).toBe('3600');
    expect(err.headers?.get('x-should-retry')).toBe('false');
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused' });
    await expect(openai.chat.completions.create({ model: 'hour', messages: msgs })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'unused' });
    await expect(anthropic.messages.create({ model: 'hour', max_tokens: 5, messages: msgs })).rejects.toBeInstanceOf(
      Anthropic.InternalServerError,
    );
  }, 5000);

  it('a short one stays retryable', async () => {
    const once = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const err = (await once.chat.completions.create({ model: 'brief', messages: msgs }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(err.headers?.get('retry-after')).toBe('2');
    expect(err.headers?.get('x-should-retry')).toBeNull();
  });
});
