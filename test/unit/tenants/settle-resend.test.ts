/**
 * A settlement the Redis store could not send — the connection was down, and with no offline queue the command was
 * refused before it was written — is sent once the connection is ready again. Dropped, it left the request's
 * concurrency lease held for leaseTtl (a tenant of concurrency 1 was refused for 30 s after a reconnection) and its
 * reservation uncorrected: the estimate stayed charged whatever the answer used, a debt was forgiven.
 * A real redis-server; the store's own connection is cut, so what Redis holds survives.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisLimitStore } from '../../../src/tenants/limits/redis-store.js';
import type { AdmitOutcome, LimitSpec } from '../../../src/tenants/limits/store.js';
import { redisAvailable, useRedis } from '../../helpers/redis.js';

const redis = redisAvailable ? await useRedis() : undefined;
if (!redis) it.skip('redis-server is not installed here: the Redis store is not tested', () => {});

interface Internals {
  redis: { stream: Socket; status: string; once(ev: string, f: () => void): void };
}

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** Cuts the store's connection and resolves once the client knows it (commands are refused, not written). */
async function cut(store: RedisLimitStore): Promise<Internals['redis']> {
  const inner = (store as unknown as Internals).redis;
  const closed = new Promise<void>((r) => inner.once('close', r));
  inner.stream.destroy();
  await closed;
  expect(inner.status).not.toBe('ready');
  return inner;
}

function ok(o: AdmitOutcome) {
  if (!o.ok) throw new Error(`refused: ${o.kind}`);
  return o.reservation;
}

describe.skipIf(!redis)('a settlement refused while the Redis connection was down', () => {
  it('is sent on the reconnection: the slot frees and the tokens are corrected', { timeout: 15_000 }, async () => {
    const prefix = `settle-resend-${Date.now()}`;
    const store = new RedisLimitStore({ url: redis!.url, windowMs: 60_000, timeoutMs: 1000, leaseTtlMs: 30_000, prefix });
    closers.push(() => store.close());
    await store.ready();
    const specs: LimitSpec[] = [{ key: 't', tpm: 1500, concurrency: 1 }];
    const first = ok(await store.admit({ specs, tokens: 1000, lease: 'L1' }));
    const inner = await cut(store);
    // The answer is over while the store reconnects: it used 10 of the 1,000 tokens it reserved.
    await expect(store.settle(first, 10)).rejects.toThrow();
    await new Promise<void>((r) => inner.once('ready', r));
    // The slot is free and the 990 tokens refunded: 1,000 more fit in 1,500.
    const second = await store.admit({ specs, tokens: 1000, lease: 'L2' });
    expect(second.ok ? 'ok' : second.kind).toBe('ok');
    expect(second.states[0]!.concurrency).toEqual({ limit: 1, active: 1 });
    expect(second.states[0]!.tokens!.remaining).toBe(490);
  });

  it('charges a debt it carried once the connection is back', { timeout: 15_000 }, async () => {
    const prefix = `settle-debt-${Date.now()}`;
    const store = new RedisLimitStore({ url: redis!.url, windowMs: 60_000, timeoutMs: 1000, leaseTtlMs: 30_000, prefix });
    closers.push(() => store.close());
    await store.ready();
    const specs: LimitSpec[] = [{ key: 't', tpm: 1000 }];
    const first = ok(await store.admit({ specs, tokens: 100, lease: 'L1' }));
    const inner = await cut(store);
    await expect(store.settle(first, 900)).rejects.toThrow();
    await new Promise<void>((r) => inner.once('ready', r));
    // 900 used of 1,000: a request of 200 does not fit (forgotten, 100 were counted and it did).
    const second = await store.admit({ specs, tokens: 200, lease: 'L2' });
    expect(second.ok ? 'ok' : second.kind).toBe('tokens');
  });
});
