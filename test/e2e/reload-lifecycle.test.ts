/**
 * Reloads that overlap each other or outlive the requests they replace, on real sockets: the last profile given
 * is the one served; a limiter carried through a reload chain stays open (and its Redis leases are freed)
 * until the requests using it end; a new pool (new timeouts) keeps counting the old pool's connections.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { eventually, gatewayFor, profileFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { redisAvailable, useRedis } from '../helpers/redis.js';

const redis = redisAvailable ? await useRedis() : undefined;

const chat = (base: string, key: string | undefined, opts: Parameters<typeof rawPost>[2] = {}, extra: object = {}) =>
  rawPost(
    `${base}/v1/chat/completions`,
    { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1, ...extra },
    { ...opts, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...opts.headers } },
  );

/** Streams that hold their connection (and limits) until `leave()`: 5 tokens a second, 1000 tokens. */
function held(base: string, key: string | undefined, n: number) {
  let leave!: () => void;
  const left = new Promise<void>((r) => (leave = r));
  let started = 0;
  const streams = Array.from({ length: n }, () =>
    chat(
      base,
      key,
      { abortWhen: left, headers: { 'x-mock-tps': '5' }, onChunk: (c) => c === 1 && started++ },
      { max_tokens: 1000, stream: true },
    ),
  );
  return { streams, started: () => started, leave };
}

const keyed = (key: string, store = '') => `
version: 1
limits: { defaultCompletionTokens: 10${store} }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [${key}] }
`;
/** A Redis store nobody listens on: a runtime naming it takes ~1 s to build (the store's connect wait). */
const nobody = await freePort();
const slowStore = `, store: { redis: "redis://127.0.0.1:${nobody}", timeout: 1s }`;

describe('overlapping reloads', () => {
  it('apply one at a time, in call order: the last profile given is served, though the first took ~1 s to build', async () => {
    const g = await gatewayFor(keyed('k-0'));
    try {
      // The first builds for ~1 s; the second in ms.
      const slow = g.stack.reload(profileFor(keyed('k-1', slowStore)));
      const fast = g.stack.reload(profileFor(keyed('k-2')));
      expect(await Promise.all([slow, fast])).toEqual([{ ok: true }, { ok: true }]);
      expect((await chat(g.url, 'k-2')).status).toBe(200);
      expect((await chat(g.url, 'k-1')).status).toBe(401);
      expect((await chat(g.url, 'k-0')).status).toBe(401);
    } finally {
      await g.close();
    }
  });
});

describe('a reload and the drain', () => {
  it('close() lets a reload under way finish first (within the drain), and refuses one asked for after it began', async () => {
    const g = await gatewayFor(keyed('k-0'));
    const order: string[] = [];
    const slow = g.stack.reload(profileFor(keyed('k-1', slowStore))).then((r) => {
      order.push('reloaded');
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    const closed = g.stack.close(10_000).then(() => order.push('closed'));
    expect(await g.stack.reload(profileFor(keyed('k-2')))).toEqual({ ok: false, problems: ['the gateway is stopping'] });
    expect(await slow).toEqual({ ok: true });
    await closed;
    expect(order).toEqual(['reloaded', 'closed']);
  });

  it('a reload still building when the drain’s bound is over is not applied: it closes what it built', async () => {
    const g = await gatewayFor(keyed('k-0'));
    const slow = g.stack.reload(profileFor(keyed('k-1', slowStore)));
    await new Promise((r) => setTimeout(r, 50));
    await g.close(); // drains for 100 ms: the reload is still waiting for its store
    expect(await slow).toEqual({ ok: false, problems: ['the gateway is stopping: the reload is not applied'] });
  });
});

describe.skipIf(!redis)('a limiter carried through a reload chain', () => {
  it('A → B (only tpm changed: the limiter carries over) → C (a new window: a new limiter) frees A’s leases when A’s streams end', async () => {
    const prefix = `chain${process.pid}`;
    const limited = (tpm: number, window: string) => `
version: 1
limits:
  rateWindow: ${window}
  store: { redis: "${redis?.url}", timeout: 2s, prefix: ${prefix}, leaseTtl: 10m }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k], limits: { tpm: ${tpm}, concurrency: 2 } }
`;
    const g = await gatewayFor(limited(1_000_000, '60s'));
    try {
      const a = held(g.url, 'k', 2);
      await eventually(() => a.started() === 2);
      expect(await g.stack.reload(profileFor(limited(2_000_000, '60s')))).toEqual({ ok: true });
      expect(await g.stack.reload(profileFor(limited(2_000_000, '30s')))).toEqual({ ok: true });
      // A's streams still hold both leases.
      expect((await chat(g.url, 'k')).status).toBe(429);
      a.leave();
      await Promise.all(a.streams);
      // Released through A's limiter — still open — within moments, not at the lease TTL (10 min).
      await eventually(async () => (await chat(g.url, 'k')).status === 200, 5000);
    } finally {
      await g.close();
    }
  });
});

/** One mock backend with a bounded pool: a change of `idle` or `connections` builds it a new pool. */
const pooled = (idle: string, connections: number, queue: number) => `
version: 1
timeouts: { idle: ${idle} }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm }, pool: { connections: ${connections}, queue: ${queue} } }
models:
  m: { targets: [{ backend: v }] }
`;

describe('a reload that builds a new pool for a backend', () => {
  it('keeps its connection slots: the old pool’s streams still count against pool.connections and in /aigw/stats', async () => {
    const g = await gatewayFor(pooled('10s', 2, 0));
    const inflight = async () =>
      ((await (await fetch(`${g.adminUrl}/aigw/stats`)).json()) as { models: { m: { backends: { v: { inflight: number } } } } }).models.m
        .backends.v.inflight;
    try {
      const a = held(g.url, undefined, 2);
      await eventually(() => a.started() === 2);
      expect((await chat(g.url, undefined)).status).toBe(503);
      // Only the idle timeout changes: undici fixes it per pool, so the backend gets a new pool.
      expect(await g.stack.reload(profileFor(pooled('11s', 2, 0)))).toEqual({ ok: true });
      expect((await chat(g.url, undefined)).status).toBe(503);
      expect(await inflight()).toBe(2);
      a.leave();
      await Promise.all(a.streams);
      await eventually(async () => (await chat(g.url, undefined)).status === 200, 5000);
      expect(await inflight()).toBe(0);
    } finally {
      await g.close();
    }
  });

  it.each([
    ['only its idle timeout changed', '10s', 1, '11s', 1],
    ['its connections grew from 1 to 3', '10s', 1, '10s', 3],
  ])(
    'lets requests that waited for a slot through when %s: the pool they were queued for is not closed under them',
    async (_why, idleA, connA, idleB, connB) => {
      const g = await gatewayFor(pooled(idleA, connA, 5));
      try {
        const a = held(g.url, undefined, 1);
        await eventually(() => a.started() === 1);
        // Two requests wait for the one connection, on the runtime before the reload.
        const waiting = [chat(g.url, undefined), chat(g.url, undefined)];
        await eventually(() => g.gateway.state.live.size === 3);
        expect(await g.stack.reload(profileFor(pooled(idleB, connB, 5)))).toEqual({ ok: true });
        a.leave();
        // Before: the replaced pool was closed at once, and both answered 502 (UND_ERR_CLOSED), ejecting the backend.
        expect((await Promise.all(waiting)).map((r) => r.status)).toEqual([200, 200]);
        await Promise.all(a.streams);
      } finally {
        await g.close();
      }
    },
  );
});
