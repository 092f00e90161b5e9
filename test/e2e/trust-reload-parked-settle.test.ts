/**
 * A settlement the Redis store keeps for its reconnection (the connection was down as its request ended) outlives a
 * reload that replaces the store (a changed `limits.store`, or `rateWindow`): the store a reload retires closed once
 * its requests had settled, and dropped what it still held for Redis — the request's reservation (its dearest outcome)
 * stood in Redis for the rest of its budget's window. It is handed to the store that replaces it, for the same Redis —
 * and on down the chain when that one is closed too (two reloads while the request was under way on the first store:
 * the second, never used, closed first, and the SETTLE was dropped). A real redis-server behind a proxy the test cuts.
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { gatewayFor, profileFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { redisAvailable, redisProxy, useRedis } from '../helpers/redis.js';
import { useUpstream } from '../helpers/upstream.js';

const redis = redisAvailable ? await useRedis() : undefined;

const ANSWER = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 },
});

/**
 * A gateway on a Redis the test can cut; `beforeFirstPaid` runs as the first paid request reaches the backend, before
 * it is answered. $1 an output token: max_tokens 5 reserves $5 of $6 an hour (rpm, so every request asks the store).
 */
async function setup(prefix: string, beforeFirstPaid: () => Promise<void>) {
  const proxy = await redisProxy(redis!.port);
  let first = true;
  const up = await useUpstream(async (_req, res, body) => {
    if (first && JSON.parse(body).model === 'paid') {
      first = false;
      await beforeFirstPaid();
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(ANSWER);
  });
  const yaml = (timeout: string) => `
version: 1
limits: { store: { redis: "${proxy.url}", timeout: ${timeout}, onError: closed, prefix: ${prefix}-${process.pid} } }
backends:
  b: { url: "{{b}}" }
models:
  paid: { targets: [{ backend: b, pricing: { input: 0, output: 1000000 } }] }
  free: { targets: [{ backend: b }] }
tenants:
  t: { keys: [k], limits: { rpm: 1000, budget: { usd: 6, per: 1h } } }
`;
  const gw = await gatewayFor(yaml('900ms'), { b: up.url });
  const ask = (model: string) =>
    rawPost(
      `${gw.url}/v1/chat/completions`,
      { model, messages: [{ role: 'user', content: 'x' }], max_tokens: 5 },
      { headers: { authorization: 'Bearer k' } },
    );
  /** A reload that replaces the store (another timeout). */
  const reload = async (timeout: string) => expect((await gw.stack.reload(profileFor(yaml(timeout), { b: up.url }))).ok).toBe(true);
  /** Redis back: once the store serving now is (503 while it reconnects), $1 spent of $6 lets another $5 in. */
  const spentOnlyWhatWasUsed = async () => {
    proxy.up();
    await eventually(async () => (await ask('free')).status === 200, 10_000);
    // Before: the first request's $5 stood — 429 budget.
    expect((await ask('paid')).status).toBe(200);
  };
  return { proxy, gw, ask, reload, spentOnlyWhatWasUsed };
}

describe.skipIf(!redis)('a reload that replaces the Redis store', () => {
  it('hands over the settlements its predecessor kept for the reconnection', async () => {
    let cut = async () => {};
    const s = await setup('handover', () => cut());
    // The first answer ends while the store's connection is down: its settlement waits for the reconnection.
    cut = async () => {
      const noticed = s.proxy.refused();
      s.proxy.down();
      await noticed;
    };
    try {
      const first = await s.ask('paid');
      expect(first.status).toBe(200);
      // Settled (its SETTLE kept for the reconnection) once its event is out.
      expect((await s.gw.requestEvent(first.headers['x-request-id'])).costUsd).toBe(1);
      // While Redis is still away: the old store closes.
      await s.reload('1s');
      await s.spentOnlyWhatWasUsed();
    } finally {
      await s.gw.close();
    }
  }, 30_000);

  it('two reloads hand what the first store kept to the store serving after them', async () => {
    let arrived!: () => void;
    const atBackend = new Promise<void>((r) => (arrived = r));
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    // The first paid request waits at the backend through both reloads, then ends with Redis away.
    const s = await setup('chain', () => {
      arrived();
      return answered;
    });
    try {
      const first = s.ask('paid');
      await atBackend;
      const noticed = s.proxy.refused();
      s.proxy.down();
      await noticed;
      // Two reloads that each replace the store while the first request is under way on the first.
      await s.reload('1s');
      await s.reload('1100ms');
      answer();
      const r = await first;
      expect(r.status).toBe(200);
      expect((await s.gw.requestEvent(r.headers['x-request-id'])).costUsd).toBe(1);
      await s.spentOnlyWhatWasUsed();
    } finally {
      answer();
      await s.gw.close();
    }
  }, 30_000);
});
