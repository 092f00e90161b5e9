/**
 * A settlement the Redis store keeps for its reconnection (the connection was down as its request ended) outlives a
 * reload that replaces the store (a changed `limits.store`, or `rateWindow`): the store a reload retires closed once
 * its requests had settled, and dropped what it still held for Redis — the request's reservation (its dearest outcome)
 * stood in Redis for the rest of its budget's window. It is handed to the store that replaces it, for the same Redis.
 * A real redis-server behind a proxy the test cuts.
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor, profileFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { redisAvailable, redisProxy, useRedis } from '../helpers/redis.js';
import { useUpstream } from '../helpers/upstream.js';
import { eventually } from '../helpers/eventually.js';

const redis = redisAvailable ? await useRedis() : undefined;

describe.skipIf(!redis)('a reload that replaces the Redis store', () => {
  it('hands over the settlements its predecessor kept for the reconnection', async () => {
    const proxy = await redisProxy(redis!.port);
    let cutBeforeAnswer = true;
    const up = await useUpstream(async (_req, res, body) => {
      // The first answer ends while the store's connection is down: its settlement waits for the reconnection.
      if (cutBeforeAnswer && JSON.parse(body).model === 'paid') {
        cutBeforeAnswer = false;
        const noticed = proxy.refused();
        proxy.down();
        await noticed;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 },
        }),
      );
    });
    // $1 an output token: max_tokens 5 reserves $5 of $6 an hour. rpm, so that every request asks the store.
    const yaml = (timeout: string) => `
version: 1
limits: { store: { redis: "${proxy.url}", timeout: ${timeout}, onError: closed, prefix: handover-${process.pid} } }
backends:
  b: { url: "{{b}}" }
models:
  paid: { targets: [{ backend: b, pricing: { input: 0, output: 1000000 } }] }
  free: { targets: [{ backend: b }] }
tenants:
  t: { keys: [k], limits: { rpm: 1000, budget: { usd: 6, per: 1h } } }
`;
    const gw = await gatewayFor(yaml('900ms'), { b: up.url });
    try {
      const ask = (model: string) =>
        rawPost(
          `${gw.url}/v1/chat/completions`,
          { model, messages: [{ role: 'user', content: 'x' }], max_tokens: 5 },
          { headers: { authorization: 'Bearer k' } },
        );
      const first = await ask('paid');
      expect(first.status).toBe(200);
      // Settled (its SETTLE kept for the reconnection) once its event is out.
      expect((await gw.requestEvent(first.headers['x-request-id'])).costUsd).toBe(1);
      // A reload that replaces the store (another timeout), while Redis is still away: the old store closes.
      expect((await gw.stack.reload(profileFor(yaml('1s'), { b: up.url }))).ok).toBe(true);
      proxy.up();
      // The new store is back once a request is served (503 while it reconnects).
      await eventually(async () => (await ask('free')).status === 200, 10_000);
      // $1 spent of $6: another $5 fits. Before, the first request's $5 stood: 429 budget.
      expect((await ask('paid')).status).toBe(200);
    } finally {
      await gw.close();
    }
  }, 30_000);
});
