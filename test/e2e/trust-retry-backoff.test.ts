/**
 * Going round the plan again after an overload (503, 429 without a retry-after) waits before a target is tried again:
 * with no wait, a single-target model's three attempts reached a backend that had just said it was overloaded within
 * a millisecond or two of each other — a retry storm multiplied by every client's own retries, and no time for the
 * backend to recover between them. A different target is still tried at once.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER as OK, useUpstream } from '../helpers/upstream.js';

/** A backend that answers its first `refusals` requests `status` (no retry-after), then 200, noting when each came. */
const flaky = async (status: number, refusals: number) => {
  const at: number[] = [];
  const up = await useUpstream((_req, res, _body, n) => {
    at.push(performance.now());
    if (n > refusals) return res.writeHead(200, { 'content-type': 'application/json' }).end(OK);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'busy', type: 'server_error' } }));
  });
  return { url: up.url, at };
};

const [overloaded, limited, first, second] = [await flaky(503, 2), await flaky(429, 1), await flaky(503, 1), await flaky(503, 0)];
const gw = await useGateway(
  `
version: 1
resilience: { attempts: 3, consecutiveFailures: 100 }
backends:
  overloaded: { url: "{{overloaded}}" }
  limited: { url: "{{limited}}" }
  first: { url: "{{first}}" }
  second: { url: "{{second}}" }
models:
  m: { targets: [{ backend: overloaded }] }
  l: { targets: [{ backend: limited }] }
  two: { targets: [{ backend: first, weight: 2 }, { backend: second, weight: 1 }] }
`,
  { overloaded: overloaded.url, limited: limited.url, first: first.url, second: second.url },
);

const ask = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });
const gaps = (at: number[]) => at.slice(1).map((t, i) => t - at[i]!);

describe('a target tried again after an overload', () => {
  it('503, 503, 200 on the only target: each retry waits, longer the second time', async () => {
    expect((await ask('m')).status).toBe(200);
    expect(overloaded.at).toHaveLength(3);
    const [g1, g2] = gaps(overloaded.at);
    // Before: 1–2 ms apart. Now a jittered 50–100 ms, then 100–200 ms.
    expect(g1).toBeGreaterThanOrEqual(45);
    expect(g2).toBeGreaterThanOrEqual(95);
  });

  it('a 429 without a retry-after waits too', async () => {
    expect((await ask('l')).status).toBe(200);
    expect(gaps(limited.at)[0]).toBeGreaterThanOrEqual(45);
  });

  it('another target is tried at once', async () => {
    expect((await ask('two')).status).toBe(200);
    expect(first.at).toHaveLength(1);
    expect(second.at).toHaveLength(1);
  });
});
