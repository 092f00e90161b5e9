/**
 * A store a reload retires hands the settlements it kept for a reconnection to the store that replaced it
 * (trust-reload-parked-settle) — but only when that one is still open. Two reloads while a request of the first store
 * is under way: the second store, never used, closes at the second reload, and when the request ends during the outage
 * and its store closes, its successor is closed too: the SETTLE was dropped, and the request's reservation (its
 * dearest outcome) stood in Redis for the rest of its budget's window. It goes on to the store serving now.
 * A real redis-server behind a proxy the test cuts.
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor, profileFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { redisAvailable, redisProxy, useRedis } from '../helpers/redis.js';
import { useUpstream } from '../helpers/upstream.js';
import { eventually } from '../helpers/eventually.js';

const redis = redisAvailable ? await useRedis() : undefined;

describe.skipIf(!redis)('two reloads that replace the Redis store', () => {
  it('hand what the first kept for the reconnection to the store serving after them', async () => {
    const proxy = await redisProxy(redis!.port);
    let arrived!: () => void;
    const atBackend = new Promise<void>((r) => (arrived = r));
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    let held = true;
    const up = await useUpstream(async (_req, res, body) => {
      // The first paid request waits at the backend through both reloads, then ends with Redis away.
      if (held && JSON.parse(body).model === 'paid') {
        held = false;
        arrived();
        await answered;
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
limits: { store: { redis: "${proxy.url}", timeout: ${timeout}, onError: closed, prefix: chain-${process.pid} } }
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
      const first = ask('paid');
      await atBackend;
      const noticed = proxy.refused();
      proxy.down();
      await noticed;
      // Two reloads that each replace the store (another timeout) while the first request is under way on the first.
      expect((await gw.stack.reload(profileFor(yaml('1s'), { b: up.url }))).ok).toBe(true);
      expect((await gw.stack.reload(profileFor(yaml('1100ms'), { b: up.url }))).ok).toBe(true);
      answer();
      const r = await first;
      expect(r.status).toBe(200);
      // Settled (its SETTLE kept for the reconnection) once its event is out.
      expect((await gw.requestEvent(r.headers['x-request-id'])).costUsd).toBe(1);
      proxy.up();
      // The store serving now is back once a request is served (503 while it reconnects).
      await eventually(async () => (await ask('free')).status === 200, 10_000);
      // $1 spent of $6: another $5 fits. Before, the first request's $5 stood: 429 budget.
      const second = await ask('paid');
      expect(second.status).toBe(200);
    } finally {
      answer();
      await gw.close();
    }
  }, 30_000);
});
