/**
 * A long retry-after (a provider's hour-long quota window) is passed on with `x-should-retry: false` so that the SDKs
 * do not sleep it inside create() (trust-sdk-long-retry-after). But the request had also tried another backend of the
 * model, which failed without asking for any wait (a 500, a replica restarting; resilience.attempts 2, each target
 * once — or the other ejected by the time the plan came round): the 502 named only the last one's
 * hour, and told the SDKs not to retry — where a retry a second later is routed to that other backend (the hour one
 * cools down) and served. The wait told is now the shortest any backend this request tried asked for: none here, so
 * the SDK retries with its own backoff, and the call succeeds.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

let flakyCalls = 0;
// Fails its first request (a replica restarting), serves the rest.
const flaky = await useUpstream((_req, res) => {
  if (flakyCalls++ === 0)
    return res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"engine restarting"}}');
  res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER);
});
const hour = await useUpstream((_req, res) =>
  res
    .writeHead(429, { 'content-type': 'application/json', 'retry-after': '3600' })
    .end('{"error":{"message":"quota exhausted for this hour","type":"rate_limit_error"}}'),
);

const gw = await useGateway(
  `
version: 1
resilience: { attempts: 2 }
backends:
  flaky: { url: "{{flaky}}" }
  hour: { url: "{{hour}}" }
models:
  m: { targets: [{ backend: flaky }], fallbacks: [spare] }
  spare: { targets: [{ backend: hour }] }
  only-hour: { targets: [{ backend: hour }] }
`,
  { flaky: flaky.url, hour: hour.url },
);
const msgs = [{ role: 'user' as const, content: 'hi' }];

describe('a long retry-after from one backend, another tried backend asking none', () => {
  it('is no reason to stop the SDK retrying: its retry is served by the other backend', async () => {
    const once = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const err = (await once.chat.completions.create({ model: 'm', messages: msgs }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(err.status).toBe(502);
    expect(err.headers?.get('x-should-retry')).toBeNull();
    expect(err.headers?.get('retry-after')).toBeNull();
    flakyCalls = 0;
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 1 });
    const r = await openai.chat.completions.create({ model: 'm', messages: msgs });
    expect(r.choices[0]!.message.content).toBeTruthy();
  }, 8000);

  it('a model whose every backend asked the long wait still says not to retry', async () => {
    const once = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const err = (await once.chat.completions.create({ model: 'only-hour', messages: msgs }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(err.status).toBe(502);
    expect(err.headers?.get('retry-after')).toBe('3600');
    expect(err.headers?.get('x-should-retry')).toBe('false');
  });
});
