/**
 * Redis flushed (or restarted without persistence) while a request was in flight: its reservation is gone from the
 * windows, and its settlement's refund came out of what requests admitted since then had reserved in the same bucket
 * — their limits read as room that was not there, and the next request was admitted past them. A refund is made now
 * only while the admission's ticket still stands (the reservation is still counted). A real redis-server.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisLimitStore } from '../../../src/tenants/limits/redis-store.js';
import type { AdmitOutcome, LimitSpec } from '../../../src/tenants/limits/store.js';
import { redisAvailable, useRedis } from '../../helpers/redis.js';

const redis = redisAvailable ? await useRedis() : undefined;
if (!redis) it.skip('redis-server is not installed here: the Redis store is not tested', () => {});

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function ok(o: AdmitOutcome) {
  if (!o.ok) throw new Error(`refused: ${o.kind}`);
  return o.reservation;
}

describe.skipIf(!redis)('a settlement after Redis lost its reservation', () => {
  it("refunds nothing out of another request's reservation", { timeout: 15_000 }, async () => {
    const store = new RedisLimitStore({
      url: redis!.url,
      windowMs: 60_000,
      timeoutMs: 2000,
      leaseTtlMs: 30_000,
      prefix: `flush-${Date.now()}`,
    });
    closers.push(() => store.close());
    await store.ready();
    const admin = new Redis(redis!.url);
    closers.push(() => admin.disconnect());
    // 1,000 tokens and $6 a window; each request reserves 500 tokens and $5.
    const specs: LimitSpec[] = [{ key: 't', tpm: 1000, budget: { microUsd: 6e6, windowMs: 3_600_000 } }];
    const first = ok(await store.admit({ specs, tokens: 500, lease: 'L1', microUsd: 5e6 }));
    await admin.flushall();
    // Admitted into the emptied windows: 500 tokens and $5 reserved, in the same buckets as the first.
    ok(await store.admit({ specs, tokens: 500, lease: 'L2', microUsd: 5e6 }));
    // The first ends having used 100 tokens and $1 of what it reserved: a refund of 400 tokens and $4.
    await store.settle(first, 100, 1e6);
    // The second still holds its 500 tokens and $5: neither 600 tokens nor $2 fits. Before, both were admitted.
    const tokens = await store.admit({ specs: [{ key: 't', tpm: 1000 }], tokens: 600, lease: 'L3' });
    expect(tokens.ok ? 'ok' : tokens.kind).toBe('tokens');
    const budget = await store.admit({ specs: [{ key: 't', budget: specs[0]!.budget }], tokens: 0, lease: 'L4', microUsd: 2e6 });
    expect(budget.ok ? 'ok' : budget.kind).toBe('budget');
  });

  it('still refunds an admission Redis holds', { timeout: 15_000 }, async () => {
    const store = new RedisLimitStore({
      url: redis!.url,
      windowMs: 60_000,
      timeoutMs: 2000,
      leaseTtlMs: 30_000,
      prefix: `held-${Date.now()}`,
    });
    closers.push(() => store.close());
    await store.ready();
    const specs: LimitSpec[] = [{ key: 't', tpm: 1000, budget: { microUsd: 6e6, windowMs: 3_600_000 } }];
    const first = ok(await store.admit({ specs, tokens: 500, lease: 'L1', microUsd: 5e6 }));
    await store.settle(first, 100, 1e6);
    const next = await store.admit({ specs, tokens: 900, lease: 'L2', microUsd: 5e6 });
    expect(next.ok ? 'ok' : next.kind).toBe('ok');
  });
});
