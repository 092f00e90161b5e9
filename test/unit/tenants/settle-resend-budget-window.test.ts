/**
 * A settlement (or a cancellation) the Redis store could not send while its connection was down is kept for the
 * reconnection — but only for as long as its reservation still counts anywhere. A budget's window is its own (a day,
 * a month), far longer than the rate window and leaseTtl: given up after those, a Redis away for longer left a
 * budget's reservation (the request's most expensive outcome) charged for the rest of the budget's window, and a
 * debt beyond it forgiven. A real redis-server behind a proxy this test cuts and keeps down, so what Redis holds
 * survives the outage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RedisLimitStore } from '../../../src/tenants/limits/redis-store.js';
import type { AdmitOutcome, LimitSpec } from '../../../src/tenants/limits/store.js';
import { redisAvailable, redisProxy, useRedis } from '../../helpers/redis.js';

const redis = redisAvailable ? await useRedis() : undefined;
if (!redis) it.skip('redis-server is not installed here: the Redis store is not tested', () => {});

interface Internals {
  redis: { status: string; once(ev: string, f: () => void): void };
}

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function ok(o: AdmitOutcome) {
  if (!o.ok) throw new Error(`refused: ${o.kind}`);
  return o.reservation;
}

/** Resolves once `ms` have passed on the wall clock the store reads (Date.now), by its own timer. */
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!redis)('a settlement kept through a Redis outage longer than the rate window and leaseTtl', () => {
  it("still corrects a budget's reservation once the connection is back", { timeout: 15_000 }, async () => {
    const proxy = await redisProxy(redis!.port);
    const prefix = `settle-budget-${Date.now()}`;
    // A rate window of 1 s and leases of 100 ms: what kept a parked settlement before (1 s); the budget's window is an hour.
    const store = new RedisLimitStore({ url: proxy.url, windowMs: 1000, timeoutMs: 1000, leaseTtlMs: 100, prefix });
    closers.push(() => store.close());
    await store.ready();
    const inner = (store as unknown as Internals).redis;
    // $6 an hour; the request may cost $5, and cost $1.
    const specs: LimitSpec[] = [{ key: 't', budget: { microUsd: 6e6, windowMs: 3_600_000 } }];
    const first = ok(await store.admit({ specs, tokens: 10, lease: 'L1', microUsd: 5e6 }));
    proxy.down();
    await new Promise<void>((r) => (inner.status === 'ready' ? inner.once('close', r) : r()));
    await expect(store.settle(first, 10, 1e6)).rejects.toThrow();
    // Away for 1.5 s: longer than the rate window and leaseTtl, well inside the budget's hour.
    await pause(1500);
    const ready = new Promise<void>((r) => inner.once('ready', r));
    proxy.up();
    await ready;
    // The resend is under way once the connection is ready: a read after it on the one connection sees it.
    await store.stateOf({ specs: [{ key: 'x', rpm: 1 }], tokens: 0, lease: '' });
    // $1 spent of $6: another request that may cost $5 fits. Before, the $5 reserved stood for the hour: refused.
    const second = await store.admit({ specs, tokens: 10, lease: 'L2', microUsd: 5e6 });
    expect(second.ok ? 'ok' : second.kind).toBe('ok');
  });

  it("still undoes an admission whose answer never came, its budget's reservation with it", { timeout: 15_000 }, async () => {
    const proxy = await redisProxy(redis!.port);
    const prefix = `cancel-budget-${Date.now()}`;
    const store = new RedisLimitStore({ url: proxy.url, windowMs: 1000, timeoutMs: 200, leaseTtlMs: 100, prefix });
    closers.push(() => store.close());
    await store.ready();
    const inner = (store as unknown as Internals).redis;
    const specs: LimitSpec[] = [{ key: 't', budget: { microUsd: 6e6, windowMs: 3_600_000 } }];
    // The script loaded (an admission of another key), so the next admission is one write that Redis runs at once.
    ok(await store.admit({ specs: [{ key: 'warm', rpm: 10 }], tokens: 0, lease: 'L0' }));
    // Redis runs the admission ($5 reserved); its answer, and the cancellation that follows its timeout, are lost.
    proxy.freezeAfterNextWrite();
    const attempt = store.admit({ specs, tokens: 10, lease: 'L1', microUsd: 5e6 });
    await expect(attempt).rejects.toThrow('Command timed out');
    // The cancellation times out in the partition too; then the connection is cut, for longer than the ticket lived.
    await pause(400);
    proxy.down();
    await pause(1500);
    const ready = new Promise<void>((r) => inner.once('ready', r));
    proxy.up();
    await ready;
    await store.stateOf({ specs: [{ key: 'x', rpm: 1 }], tokens: 0, lease: '' });
    // Nothing spent of $6: a request that may cost $5 fits. Before, the $5 of the lost admission stood for the hour.
    const second = await store.admit({ specs, tokens: 10, lease: 'L2', microUsd: 5e6 });
    expect(second.ok ? 'ok' : second.kind).toBe('ok');
  });
});
