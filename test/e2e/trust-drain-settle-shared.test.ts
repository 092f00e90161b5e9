/**
 * A gateway that stops (SIGTERM's drain, a rolling deploy) settles what its last requests cost before it lets go of the
 * shared store. The drain waited for their answers to be gone, then closed the limiter at once: a request whose
 * settlement still had to wait — its answer carried no usage, so its tokens are counted off the event loop first — sent
 * its SETTLE to a closed store, and Redis kept its reservation (its dearest outcome) charged to the tenant's budget for
 * the rest of the window, shared by every other gateway. A real redis-server, two gateways one after the other.
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { redisAvailable, useRedis } from '../helpers/redis.js';
import { useUpstream } from '../helpers/upstream.js';

const redis = redisAvailable ? await useRedis() : undefined;

describe.skipIf(!redis)('a gateway that drains', () => {
  it('settles its last request in the shared store before closing it', async () => {
    // An answer with no usage: its output is counted by the tokenizer thread ("hi": 1 token).
    const up = await useUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
        }),
      );
    });
    // $1 an output token, prompts free: max_tokens 5 reserves $5 of the $6 an hour.
    const profile = `
version: 1
limits: { store: { redis: "${redis!.url}", timeout: 2s, prefix: drain-${Date.now()} } }
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b, pricing: { input: 0, output: 1000000 } }] }
tenants:
  t: { keys: [k], limits: { budget: { usd: 6, per: 1h } } }
`;
    const ask = (url: string) =>
      rawPost(
        `${url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 },
        { headers: { authorization: 'Bearer k' } },
      );
    const first = await gatewayFor(profile, { b: up.url });
    expect((await ask(first.url)).status).toBe(200);
    // Stopped as its answer went out: its settlement is still counting the answer's tokens.
    await first.close();
    const second = await gatewayFor(profile, { b: up.url });
    try {
      // $1 spent of $6: another $5 fits. Before, the $5 reserved stood in Redis: 429 budget.
      const r = await ask(second.url);
      expect(r.status).toBe(200);
    } finally {
      await second.close();
    }
  }, 30_000);
});
