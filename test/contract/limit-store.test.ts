/**
 * One contract for every rate-limit store: the memory store and the Redis store (against a real
 * redis-server) run the same cases. Windows are shortened to 600 ms (10 ms buckets). The Redis store reads
 * Redis's clock, so its time is real, and its cases leave room for a busy machine's late timers; the memory
 * store reads a clock the cases move by exactly what they wait (its time is exact, and costs nothing).
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { MemoryLimitStore } from '../../src/tenants/limits/memory-store.js';
import { RedisLimitStore } from '../../src/tenants/limits/redis-store.js';
import type { AdmitOutcome, LimitSpec, LimitStore } from '../../src/tenants/limits/store.js';
import { redisAvailable, useRedis } from '../helpers/redis.js';

const WINDOW = 600;
let seq = 0;
const lease = () => `lease-${++seq}`;

/** A Redis reply slower than this fails a case: far more than any stall of a busy machine. */
const REDIS_TIMEOUT = 2000;

interface Case {
  name: string;
  make(windowMs?: number): Promise<LimitStore>;
  /** Lets `ms` pass for the store: at least `ms` of real time (Redis), or exactly `ms` (memory). */
  pass(ms: number): Promise<void>;
  /** Waits until `ms` before a whole multiple of `windowMs` since the epoch (where a fixed window would start). */
  justBefore(windowMs: number, ms: number): Promise<void>;
}

/** Milliseconds until `ms` before the next whole multiple of `windowMs` after `now`. */
const until = (now: number, windowMs: number, ms: number) => (((windowMs - ms - (now % windowMs)) % windowMs) + windowMs) % windowMs;

let memoryNow = 1_800_000_000_000;
const redis = redisAvailable ? await useRedis() : undefined;
const stores: Case[] = [
  {
    name: 'memory',
    make: async (windowMs = WINDOW) => new MemoryLimitStore(windowMs, () => memoryNow),
    pass: async (ms) => {
      memoryNow += ms;
    },
    justBefore: async (windowMs, ms) => {
      memoryNow += until(memoryNow, windowMs, ms);
    },
  },
  ...(redis
    ? [
        {
          name: 'redis',
          make: async (windowMs = WINDOW) => {
            const s = new RedisLimitStore({
              url: redis.url,
              windowMs,
              timeoutMs: REDIS_TIMEOUT,
              leaseTtlMs: 400,
              prefix: `t${++seq}`,
            });
            await s.ready();
            return s;
          },
          pass: (ms: number) => sleep(ms),
          // Redis's TIME and Date.now() read the same clock.
          justBefore: (windowMs: number, ms: number) => sleep(until(Date.now(), windowMs, ms)),
        },
      ]
    : []),
];
if (!redis) it.skip('redis store (redis-server is not installed here)', () => {});

for (const { name, make, pass, justBefore } of stores) {
  describe(`${name} store`, () => {
    const admit = (s: LimitStore, specs: LimitSpec[], tokens = 1) => s.admit({ specs, tokens, lease: lease() });
    const ok = (o: AdmitOutcome) => o.ok;

    it('admits exactly the RPM limit, then denies with a retry-after that is honest', async () => {
      const s = await make();
      const spec = [{ key: 'a', rpm: 5 }];
      const outs = [];
      for (let i = 0; i < 8; i++) outs.push(await admit(s, spec));
      expect(outs.filter(ok)).toHaveLength(5);
      const denied = outs[5]!;
      expect(denied).toMatchObject({ ok: false, kind: 'requests', permanent: false });
      if (denied.ok) return;
      expect(denied.retryAfterMs).toBeGreaterThan(0);
      expect(denied.retryAfterMs).toBeLessThanOrEqual(WINDOW + WINDOW / 60);
      await pass(denied.retryAfterMs + 15);
      expect((await admit(s, spec)).ok).toBe(true);
      await s.close();
    });

    it('reserves tokens, then refunds the unused part (reserve 50, use 20 → 30 back) (case 34)', async () => {
      const s = await make();
      const spec = [{ key: 'b', tpm: 100 }];
      const a = await admit(s, spec, 50);
      if (!a.ok) throw new Error('not admitted');
      expect(a.states[0]!.tokens!.remaining).toBe(50);
      await s.settle(a.reservation, 20);
      const b = await admit(s, spec, 80);
      expect(b.ok).toBe(true);
      if (b.ok) expect(b.states[0]!.tokens!.remaining).toBe(0);
      await s.close();
    });

    it('releases everything when the upstream failed, and charges debt beyond the reservation (case 34)', async () => {
      const s = await make();
      const spec = [{ key: 'c', tpm: 100 }];
      const a = await admit(s, spec, 60);
      if (!a.ok) throw new Error('not admitted');
      await s.settle(a.reservation, 0);
      const b = await admit(s, spec, 10);
      if (!b.ok) throw new Error('not admitted');
      expect(b.states[0]!.tokens!.remaining).toBe(90);
      await s.settle(b.reservation, 95);
      expect((await admit(s, spec, 10)).ok).toBe(false);
      await s.close();
    });

    it('refuses for good a request larger than the whole budget, or any request under TPM 0 (case 35)', async () => {
      const s = await make();
      expect(await admit(s, [{ key: 'd', tpm: 100 }], 101)).toMatchObject({ ok: false, kind: 'tokens', permanent: true });
      expect(await admit(s, [{ key: 'd0', tpm: 0 }], 1)).toMatchObject({ ok: false, permanent: true });
      await s.close();
    });

    it('lets at most one of five simultaneous 51-token requests through a 100 TPM budget (case 33)', async () => {
      const s = await make();
      const outs = await Promise.all(Array.from({ length: 5 }, () => admit(s, [{ key: 'e', tpm: 100 }], 51)));
      expect(outs.filter(ok).length).toBeLessThanOrEqual(1);
      await s.close();
    });

    it('holds concurrency leases and frees them on settle (case 37)', async () => {
      const s = await make();
      const spec = [{ key: 'f', concurrency: 4 }];
      const outs = await Promise.all(Array.from({ length: 10 }, () => admit(s, spec)));
      expect(outs.filter(ok)).toHaveLength(4);
      expect(outs.find((o) => !o.ok)).toMatchObject({ kind: 'concurrency' });
      const first = outs.find(ok)!;
      if (first.ok) await s.settle(first.reservation, 0);
      expect((await admit(s, spec)).ok).toBe(true);
      await s.close();
    });

    it('carries a debt larger than the limit into later windows instead of letting it expire (trust class 6)', async () => {
      const s = await make();
      const spec = [{ key: 'debt', tpm: 100 }];
      const first = await admit(s, spec, 10);
      expect(first.ok).toBe(true);
      // Reserved 10, used 550: the window takes 100, and 450 carry over as debt that drains at 100 a window, so it
      // lasts 4.5 windows (2.7 s). After one window the bucket has expired, but the debt has not.
      if (first.ok) await s.settle(first.reservation, 550);
      await pass(WINDOW + 50);
      const blocked = await admit(s, spec, 10);
      expect(blocked).toMatchObject({ ok: false, kind: 'tokens', permanent: false });
      if (!blocked.ok) {
        // The honest wait covers the rest of the debt (about 3.4 more windows, 2 s), not one bucket: a check a busy
        // machine runs 1.4 s late still sees more than a window of it. (With 300 of debt, 550 ms late was enough.)
        expect(blocked.retryAfterMs).toBeGreaterThan(WINDOW);
        expect(blocked.states[0]!.tokens!.remaining).toBe(0);
      }
      // 4.25 windows in all: 25 of the debt left, and room for 10 more.
      await pass(WINDOW * 3 + 100);
      expect((await admit(s, spec, 10)).ok).toBe(true);
      await s.close();
    });

    it('says a reset no sooner than the carried debt drains (x-ratelimit-reset-tokens is read from it)', async () => {
      const s = await make();
      const spec = [{ key: 'debt-reset', tpm: 100 }];
      const first = await admit(s, spec, 10);
      if (!first.ok) throw new Error('not admitted');
      // 1,010 of debt beyond the window: ten windows (6 s) before the window is as it was, however late a busy
      // machine runs the check below.
      await s.settle(first.reservation, 1110);
      await pass(WINDOW + 50);
      const blocked = await admit(s, spec, 10);
      if (blocked.ok) throw new Error('admitted in debt');
      // Every bucket has left the window, the debt has not: a reset of 0 ms beside a retry-after of seconds sent a
      // client pacing itself by the x-ratelimit-* headers straight back into the 429.
      const tokens = blocked.states[0]!.tokens!;
      expect(tokens.remaining).toBe(0);
      expect(tokens.resetMs).toBeGreaterThanOrEqual(blocked.retryAfterMs - 5);
      await s.close();
    });

    /**
     * 497 tokens in a 997-token window of 10 minutes and a debt of 203 carried beside them, draining by 997 a window: a
     * fraction of a token a millisecond, so a few milliseconds on the window's room is a fraction too.
     */
    const fractionalRoom = async (s: LimitStore, tokens: LimitSpec) => {
      const a = await admit(s, [tokens], 100);
      const b = await admit(s, [tokens], 500);
      if (!a.ok || !b.ok) throw new Error('not admitted');
      // a used 700: 397 fit in the window, 203 carry over; b used nothing.
      await s.settle(a.reservation, 700);
      await s.settle(b.reservation, 0);
      await pass(7);
    };

    it('settles a debt beside a carried one that is draining: the debt charged, the slot freed', async () => {
      // Redis refused to add a fraction to a bucket of whole tokens (HINCRBY: 'value is not an integer'), and the
      // settlement stopped there: no debt charged, the request's lease left held.
      const s = await make(600_000);
      const tokens = { key: 'frac', tpm: 997 };
      const slot = { key: 'frac/m', concurrency: 1 };
      await fractionalRoom(s, tokens);
      const c = await admit(s, [tokens, slot], 100);
      if (!c.ok) throw new Error('not admitted');
      // 900 over its reservation, beside ~197.01 tokens of room.
      await s.settle(c.reservation, 1000);
      expect((await admit(s, [slot])).ok).toBe(true);
      expect(await admit(s, [tokens], 1)).toMatchObject({ ok: false, kind: 'tokens' });
      await s.close();
    });

    it('says no more tokens remain than a request can take, beside a draining debt', async () => {
      // Redis answers a script's number as a whole one, cut toward 0: usage of 799.99 read 799, and 198 tokens "remained"
      // where a request of 198 was then refused (x-ratelimit-remaining-tokens, by which a client paces itself).
      const s = await make(600_000);
      const tokens = { key: 'frac-left', tpm: 997 };
      await fractionalRoom(s, tokens);
      const c = await admit(s, [tokens], 100);
      if (!c.ok) throw new Error('not admitted');
      const left = c.states[0]!.tokens!.remaining;
      expect(left).toBeGreaterThan(0);
      expect((await admit(s, [tokens], left)).ok).toBe(true);
      await s.close();
    });

    it('says a retry-after no sooner than the window frees, when a request and the carried debt together exceed the limit', async () => {
      // A 10-minute window: the one bucket in use leaves it ~600 s from now, the debt of 30 drains in 180 s.
      const s = await make(600_000);
      const spec = [{ key: 'debt-retry', tpm: 100 }];
      const first = await admit(s, spec, 10);
      if (!first.ok) throw new Error('not admitted');
      // Used 130: the window takes 100 (all of it, in the reservation's bucket), 30 carry over.
      await s.settle(first.reservation, 130);
      // 90 + the debt is more than the limit: it fits only once the debt has drained *and* the bucket has left. Read
      // from the debt alone, the memory store said ~180 s, when a request sent then is refused again for ~420 s more.
      const blocked = await admit(s, spec, 90);
      if (blocked.ok) throw new Error('admitted over the limit');
      expect(blocked).toMatchObject({ kind: 'tokens', permanent: false });
      expect(blocked.retryAfterMs).toBeGreaterThan(500_000);
      await s.close();
    });

    it('lets a request that reserves no tokens through a tokens limit in debt, and holds it to rpm', async () => {
      // count_tokens costs a request and no tokens (contract §7): refused for a debt of tokens, it was a 429 of type
      // tokens "this request reserves 0", for as long as the debt took to drain (here ten windows).
      const s = await make(600_000);
      const tokens = { key: 'free-in-debt', tpm: 100, rpm: 3 };
      const first = await admit(s, [tokens], 10);
      if (!first.ok) throw new Error('not admitted');
      await s.settle(first.reservation, 1100);
      expect(await admit(s, [tokens], 1)).toMatchObject({ ok: false, kind: 'tokens' });
      expect((await admit(s, [tokens], 0)).ok).toBe(true);
      expect((await admit(s, [tokens], 0)).ok).toBe(true);
      // Three requests in the window: a fourth, costing nothing, is refused by rpm.
      expect(await admit(s, [tokens], 0)).toMatchObject({ ok: false, kind: 'requests' });
      await s.close();
    });

    it('says a retry-after of when the oldest bucket leaves beside a draining debt, not of when the window has emptied', async () => {
      // A 12 s window (200 ms buckets): 90 tokens at 0, then at 11 s 10 more that used 55 — the window is full and 45
      // carry. A request of 50 fits once the first bucket leaves, ~1 s on (10 + the debt drained to ~35 + 50 ≤ 100).
      // Both stores asked the window for room for min(50 + 45, 100) as it stood, and waited for its last bucket: ~12 s.
      const s = await make(12_000);
      const spec = [{ key: 'debt-spread', tpm: 100 }];
      const a = await admit(s, spec, 90);
      if (!a.ok) throw new Error('not admitted');
      await pass(11_000);
      const b = await admit(s, spec, 10);
      if (!b.ok) throw new Error('not admitted');
      await s.settle(b.reservation, 55);
      const blocked = await admit(s, spec, 50);
      if (blocked.ok) throw new Error('admitted over the limit');
      expect(blocked).toMatchObject({ kind: 'tokens', permanent: false });
      expect(blocked.retryAfterMs).toBeLessThan(3000);
      // Not too soon either: it fits once waited.
      await pass(blocked.retryAfterMs + 50);
      expect((await admit(s, spec, 50)).ok).toBe(true);
      await s.close();
    });

    it('frees a concurrency lease at release, before the tokens are settled (trust class 4)', async () => {
      const s = await make();
      const spec = [{ key: 'rel', concurrency: 1, tpm: 1000 }];
      const a = await admit(s, spec, 10);
      expect(a.ok).toBe(true);
      expect((await admit(s, spec, 10)).ok).toBe(false);
      if (a.ok) await s.release(a.reservation);
      const b = await admit(s, spec, 10);
      expect(b.ok).toBe(true);
      // The late settlement only adjusts tokens: it must not free b's slot.
      if (a.ok) await s.settle(a.reservation, 50);
      expect((await admit(s, spec, 10)).ok).toBe(false);
      await s.close();
    });

    it('is all-or-nothing across tenant and model limits', async () => {
      const s = await make();
      const both = [
        { key: 'g', rpm: 10 },
        { key: 'g/m', rpm: 1 },
      ];
      expect((await admit(s, both)).ok).toBe(true);
      expect(await admit(s, both)).toMatchObject({ ok: false, key: 'g/m' });
      const tenantOnly = await admit(s, [{ key: 'g', rpm: 10 }]);
      if (tenantOnly.ok) expect(tenantOnly.states[0]!.requests!.remaining).toBe(8);
      await s.close();
    });

    it('says a retry-after of when every limit that refuses admits, not the first one checked (rpm, then tpm)', async () => {
      const s = await make();
      const spec = [{ key: 'rt', rpm: 2, tpm: 100 }];
      expect((await admit(s, spec, 10)).ok).toBe(true);
      await pass(WINDOW / 2);
      expect((await admit(s, spec, 80)).ok).toBe(true);
      await pass(WINDOW / 12);
      // The rpm frees when the first request leaves (~250 ms); 50 tokens fit only once the 80 have left too (~550 ms).
      const refused = await admit(s, spec, 50);
      if (refused.ok) throw new Error('admitted');
      expect(refused.kind).toBe('tokens');
      expect(refused.retryAfterMs).toBeGreaterThan(WINDOW / 2);
      await pass(refused.retryAfterMs + 15);
      expect(await admit(s, spec, 50)).toMatchObject({ ok: true });
      await s.close();
    });

    it('says a retry-after of when every limit that refuses admits, across tenant and model limits', async () => {
      const s = await make();
      const viaM = [
        { key: 'rm', rpm: 2 },
        { key: 'rm/m', rpm: 1 },
      ];
      const viaN = [
        { key: 'rm', rpm: 2 },
        { key: 'rm/n', rpm: 5 },
      ];
      expect((await admit(s, viaN)).ok).toBe(true);
      await pass(WINDOW / 2);
      expect((await admit(s, viaM)).ok).toBe(true);
      await pass(WINDOW / 12);
      // The tenant's rpm frees in ~250 ms, the model's only in ~550 ms.
      const refused = await admit(s, viaM);
      if (refused.ok) throw new Error('admitted');
      expect(refused).toMatchObject({ kind: 'requests', key: 'rm/m' });
      expect(refused.retryAfterMs).toBeGreaterThan(WINDOW / 2);
      await pass(refused.retryAfterMs + 15);
      expect(await admit(s, viaM)).toMatchObject({ ok: true });
      await s.close();
    });

    describe('budgets: micro-dollars in a window of their own, like tokens', () => {
      const BUDGET_WINDOW = WINDOW * 2;
      const spend = (s: LimitStore, specs: LimitSpec[], microUsd: number, tokens = 1) =>
        s.admit({ specs, tokens, microUsd, lease: lease() });
      const budget = (key: string, microUsd: number, extra: Partial<LimitSpec> = {}, windowMs = BUDGET_WINDOW): LimitSpec[] => [
        { key, budget: { microUsd, windowMs }, ...extra },
      ];

      it('reserves the bound, settles the real cost, and denies with kind budget and an honest retry-after', async () => {
        const s = await make();
        // A budget window four times the store's: its retry-after (~2.4 s) stays above the store's window (0.6 s)
        // however late the denial comes on a busy machine (with twice, 600 ms late was enough).
        const LONG = WINDOW * 4;
        const spec = budget('u1', 1000, {}, LONG);
        const a = await spend(s, spec, 600);
        if (!a.ok) throw new Error('not admitted');
        expect(a.states[0]!.budget).toMatchObject({ limit: 1000, remaining: 400 });
        const denied = await spend(s, spec, 600);
        expect(denied).toMatchObject({ ok: false, kind: 'budget', key: 'u1', permanent: false });
        if (!denied.ok) {
          // The budget's own window, not the store's: the reservation leaves it after about LONG.
          expect(denied.retryAfterMs).toBeGreaterThan(WINDOW);
          expect(denied.retryAfterMs).toBeLessThanOrEqual(LONG + LONG / 60);
        }
        // It cost 100.25 µUSD, not 600: the refund makes room.
        await s.settle(a.reservation, 1, 100.25);
        const b = await spend(s, spec, 600);
        expect(b.ok).toBe(true);
        if (b.ok) expect(b.states[0]!.budget!.remaining).toBe(299);
        await s.close();
      });

      it('carries a cost far beyond the reservation into later windows', async () => {
        const s = await make();
        const spec = budget('u2', 100);
        const a = await spend(s, spec, 10);
        if (!a.ok) throw new Error('not admitted');
        // Nine windows of debt: a window later, eight remain however late the check runs on a loaded machine (with
        // two, a lag of half a window drained them and the test failed).
        await s.settle(a.reservation, 1, 1000);
        await pass(BUDGET_WINDOW + 50);
        const blocked = await spend(s, spec, 10);
        expect(blocked).toMatchObject({ ok: false, kind: 'budget', permanent: false });
        if (!blocked.ok) expect(blocked.retryAfterMs).toBeGreaterThan(BUDGET_WINDOW / 2);
        await s.close();
      });

      it('says a retry-after no sooner than the window frees, when a request and the carried debt together exceed the budget', async () => {
        const s = await make();
        // A budget of 10 minutes: the spend in its one bucket leaves it ~600 s from now, the debt of 30 drains in 180 s.
        const spec = budget('u-retry', 100, {}, 600_000);
        const a = await spend(s, spec, 10);
        if (!a.ok) throw new Error('not admitted');
        await s.settle(a.reservation, 1, 130);
        const denied = await spend(s, spec, 90);
        if (denied.ok) throw new Error('admitted over the budget');
        expect(denied).toMatchObject({ kind: 'budget', permanent: false });
        expect(denied.retryAfterMs).toBeGreaterThan(500_000);
        await s.close();
      });

      it('lets a request that can cost nothing through an exhausted budget, and refuses for good one over the whole budget', async () => {
        const s = await make();
        const spec = budget('u3', 50);
        const a = await spend(s, spec, 50);
        expect(a.ok).toBe(true);
        expect((await spend(s, spec, 1)).ok).toBe(false);
        expect((await spend(s, spec, 0)).ok).toBe(true);
        expect(await spend(s, budget('u3b', 50), 51)).toMatchObject({ ok: false, kind: 'budget', permanent: true });
        expect(await spend(s, budget('u3c', 0), 1)).toMatchObject({ ok: false, kind: 'budget', permanent: true });
        await s.close();
      });

      it('is all-or-nothing with tokens: a token refusal reserves no money', async () => {
        const s = await make();
        const spec = budget('u4', 1000, { tpm: 10 });
        expect(await spend(s, spec, 500, 11)).toMatchObject({ ok: false, kind: 'tokens', permanent: true });
        const a = await spend(s, spec, 1000, 5);
        expect(a.ok).toBe(true);
        if (a.ok) expect(a.states[0]!.budget!.remaining).toBe(0);
        await s.close();
      });

      it('settles fractional micro-dollars without drift (1,000 requests of 0.25 µUSD = 250 µUSD)', async () => {
        const s = await make();
        // A long window: a thousand Redis round trips must all stay inside it.
        const spec: LimitSpec[] = [{ key: 'u5', budget: { microUsd: 100_000, windowMs: 60_000 } }];
        for (let i = 0; i < 1000; i++) {
          const a = await spend(s, spec, 1);
          if (!a.ok) throw new Error('not admitted');
          await s.settle(a.reservation, 1, 0.25);
        }
        const last = await spend(s, spec, 1);
        if (!last.ok) throw new Error('not admitted');
        expect(last.states[0]!.budget!.remaining).toBe(100_000 - 250 - 1);
        await s.close();
      });

      it('keeps two budget windows of one request apart (tenant per two windows, tenant/model per one)', async () => {
        const s = await make();
        const specs: LimitSpec[] = [
          { key: 'u6', budget: { microUsd: 1000, windowMs: BUDGET_WINDOW } },
          { key: 'u6/m', budget: { microUsd: 100, windowMs: WINDOW } },
        ];
        const a = await spend(s, specs, 100);
        if (!a.ok) throw new Error('not admitted');
        expect(await spend(s, specs, 100)).toMatchObject({ ok: false, kind: 'budget', key: 'u6/m' });
        await s.settle(a.reservation, 1, 40);
        const b = await spend(s, specs, 60);
        expect(b.ok).toBe(true);
        if (b.ok) expect(b.states.map((st) => st.budget!.remaining)).toEqual([900, 0]);
        await s.close();
      });
    });

    it('reads the token and request windows as an admission does, counting nothing (stateOf)', async () => {
      const s = await make(60_000);
      const specs: LimitSpec[] = [
        { key: 'p', rpm: 5, tpm: 100 },
        { key: 'p/m', rpm: 3 },
      ];
      for (let i = 0; i < 2; i++) expect((await s.admit({ specs, tokens: 10, lease: lease() })).ok).toBe(true);
      const read = async () =>
        (await s.stateOf({ specs, tokens: 0, lease: '' })).map((st) => [st.requests?.remaining, st.tokens?.remaining]);
      expect(await read()).toEqual([
        [3, 80],
        [1, undefined],
      ]);
      expect(await read()).toEqual([
        [3, 80],
        [1, undefined],
      ]);
      // Read twice, counted never: the next admission is the third.
      const third = await s.admit({ specs, tokens: 10, lease: lease() });
      if (!third.ok) throw new Error('not admitted');
      expect(third.states.map((st) => st.requests?.remaining)).toEqual([2, 0]);
      // A debt the window cannot hold: read as a refused admission reads it (which counts nothing either).
      await s.settle(third.reservation, 500);
      const refused = await s.admit({ specs: [specs[0]!], tokens: 1, lease: lease() });
      expect(refused).toMatchObject({ ok: false, kind: 'tokens' });
      const [st] = await s.stateOf({ specs: [specs[0]!], tokens: 0, lease: '' });
      expect(st!.tokens!.remaining).toBe(0);
      expect(st!.tokens!.resetMs).toBeGreaterThan(200_000);
      expect(Math.abs(st!.tokens!.resetMs - refused.states[0]!.tokens!.resetMs)).toBeLessThan(1000);
      expect(st!.requests!.remaining).toBe(refused.states[0]!.requests!.remaining);
      expect(Math.abs(st!.requests!.resetMs - refused.states[0]!.requests!.resetMs)).toBeLessThan(1000);
      await s.close();
    });

    it('has no 2× burst across a window boundary (case 38)', async () => {
      // A window of 1.5 s, and a second batch 600 ms after the first: the first is still in the window unless the
      // second comes 900 ms late (in a 600 ms window, 300 ms late let it through). The first comes 300 ms before a
      // whole multiple of the window, so the second comes after one: a fixed window would admit it afresh.
      const W = 1500;
      const s = await make(W);
      const spec = [{ key: 'h', rpm: 20 }];
      await justBefore(W, 300);
      const first = await Promise.all(Array.from({ length: 20 }, () => admit(s, spec)));
      expect(first.filter(ok)).toHaveLength(20);
      await pass(600);
      const second = await Promise.all(Array.from({ length: 20 }, () => admit(s, spec)));
      expect(second.filter(ok)).toHaveLength(0);
      await s.close();
    });

    it('never locks out a steady client under its limit (case 38)', async () => {
      const s = await make();
      const spec = [{ key: 'i', rpm: 10 }];
      const outs = [];
      // Four windows at six a window (a late timer only spaces them further apart).
      for (let i = 0; i < 24; i++) {
        outs.push(await admit(s, spec));
        await pass(WINDOW / 6);
      }
      expect(outs.every(ok)).toBe(true);
      await s.close();
    });
  });
}

describe.skipIf(!redis)('redis store only', () => {
  it('frees the lease of a replica that died, by TTL (case 37)', async () => {
    // A TTL of 1 s: the second admission finds the lease alive unless it comes a second late (with 300 ms, a stall of
    // 300 ms freed it first).
    const s = new RedisLimitStore({ url: redis!.url, windowMs: WINDOW, timeoutMs: REDIS_TIMEOUT, leaseTtlMs: 1000, prefix: 'ttl' });
    await s.ready();
    const spec = [{ key: 'j', concurrency: 1 }];
    expect((await s.admit({ specs: spec, tokens: 1, lease: 'dead-replica' })).ok).toBe(true);
    expect((await s.admit({ specs: spec, tokens: 1, lease: 'x' })).ok).toBe(false);
    await sleep(1050);
    expect((await s.admit({ specs: spec, tokens: 1, lease: 'y' })).ok).toBe(true);
    await s.close();
  });

  it('writes nothing when it reads the windows (stateOf): an old bucket and one ahead of its clock stay as they were', async () => {
    const s = new RedisLimitStore({ url: redis!.url, windowMs: 60_000, timeoutMs: REDIS_TIMEOUT, leaseTtlMs: 5000, prefix: 'peek' });
    await s.ready();
    const admin = new Redis(redis!.url);
    try {
      const key = 'peek:{q}:q:w60000:rpm';
      const cur = Math.floor(Date.now() / 1000);
      await admin.hset(key, String(cur - 1000), '7', String(cur), '2', String(cur + 1000), '1');
      const before = await admin.hgetall(key);
      const [st] = await s.stateOf({ specs: [{ key: 'q', rpm: 10 }], tokens: 0, lease: '' });
      // The old bucket has left the window; the one ahead is counted as now's (as ADMIT moves it).
      expect(st!.requests!.remaining).toBe(7);
      expect(await admin.hgetall(key)).toEqual(before);
    } finally {
      admin.disconnect();
      await s.close();
    }
  });

  it('counts a live lease again after Redis lost it (a restart, a flush), once it is renewed (case 37)', async () => {
    const s = new RedisLimitStore({ url: redis!.url, windowMs: WINDOW, timeoutMs: REDIS_TIMEOUT, leaseTtlMs: 5000, prefix: 'lost' });
    await s.ready();
    const admin = new Redis(redis!.url);
    try {
      const spec = [{ key: 'r', concurrency: 1 }];
      const live = await s.admit({ specs: spec, tokens: 1, lease: 'live' });
      if (!live.ok) throw new Error('not admitted');
      await admin.del('lost:{r}:r:conc');
      await s.renew(live.reservation);
      expect(await s.admit({ specs: spec, tokens: 1, lease: 'second' })).toMatchObject({ ok: false, kind: 'concurrency' });
      // A renewal still on its way when the request ends runs before the release: the slot frees.
      const late = s.renew(live.reservation);
      await s.release(live.reservation);
      await late;
      expect((await s.admit({ specs: spec, tokens: 1, lease: 'third' })).ok).toBe(true);
    } finally {
      admin.disconnect();
      await s.close();
    }
  });

  it('keeps a live lease of a longer leaseTtl when a store of a shorter one takes a slot beside it', async () => {
    // Two leaseTtls on one slot's key: replicas part-way through a rollout of a new leaseTtl, or one gateway whose reload
    // shortened it (the store a reload makes shares the slots of the one it replaces). The key's expiry was set to the
    // last writer's leaseTtl, and with it went every live lease of the longer one: a slot held for 5 s was free in 200 ms.
    const mk = (leaseTtlMs: number) =>
      new RedisLimitStore({ url: redis!.url, windowMs: WINDOW, timeoutMs: REDIS_TIMEOUT, leaseTtlMs, prefix: 'ttls' });
    const [long, short] = [mk(5000), mk(200)];
    await Promise.all([long.ready(), short.ready()]);
    try {
      const spec = [{ key: 'mixed', concurrency: 2 }];
      expect((await long.admit({ specs: spec, tokens: 1, lease: 'held' })).ok).toBe(true);
      const brief = await short.admit({ specs: spec, tokens: 1, lease: 'brief' });
      if (!brief.ok) throw new Error('not admitted');
      await short.settle(brief.reservation, 1);
      await sleep(500);
      // 'held' is alive for 4.5 s more: one slot is left, not two.
      expect((await short.admit({ specs: spec, tokens: 1, lease: 'next' })).ok).toBe(true);
      expect(await short.admit({ specs: spec, tokens: 1, lease: 'over' })).toMatchObject({ ok: false, kind: 'concurrency' });
    } finally {
      await Promise.all([long.close(), short.close()]);
    }
  });

  it('shares one budget between two store clients (two replicas)', async () => {
    const mk = () =>
      new RedisLimitStore({ url: redis!.url, windowMs: WINDOW, timeoutMs: REDIS_TIMEOUT, leaseTtlMs: 300, prefix: 'shared' });
    const [a, b] = [mk(), mk()];
    await Promise.all([a.ready(), b.ready()]);
    const spec = [{ key: 'k', rpm: 30 }];
    const outs = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).admit({ specs: spec, tokens: 1, lease: `l${i}` })),
    );
    expect(outs.filter((o) => o.ok)).toHaveLength(30);
    await Promise.all([a.close(), b.close()]);
  });
});

describe.skipIf(!redis)('redis store: an admission the gateway gave up on (case 21)', () => {
  /**
   * A store under `prefix` and an admin connection to the same Redis, both closed after `body`. A window and a
   * lease TTL far longer than the test: nothing it checks can be freed by time alone.
   */
  const withStore = async (prefix: string, body: (s: RedisLimitStore, admin: Redis) => Promise<void>) => {
    const s = new RedisLimitStore({ url: redis!.url, windowMs: 60_000, timeoutMs: 100, leaseTtlMs: 60_000, prefix });
    await s.ready();
    const admin = new Redis(redis!.url);
    try {
      await body(s, admin);
    } finally {
      admin.disconnect();
      await s.close();
    }
  };
  const spec = [{ key: 'ghost', tpm: 1000, rpm: 10, concurrency: 1 }];

  it('holds no lease and charges nothing for an admission that timed out while Redis stalled', async () => {
    await withStore('stall', async (s, admin) => {
      await admin.call('CLIENT', 'PAUSE', '500', 'ALL');
      // The script is still queued: it runs when Redis wakes, after the client stopped waiting for it.
      await expect(s.admit({ specs: spec, tokens: 900, lease: 'timed-out' })).rejects.toThrow(/timed out/);
      await sleep(1000);
      const next = await s.admit({ specs: spec, tokens: 1000, lease: 'next' });
      expect(next).toMatchObject({ ok: true });
      if (next.ok)
        expect(next.states[0]).toMatchObject({ tokens: { remaining: 0 }, requests: { remaining: 9 }, concurrency: { active: 1 } });
    });
  });

  it('cancels an admission still unanswered when the store closes: a drain deadline during a stall takes no slot', async () => {
    const mk = () => new RedisLimitStore({ url: redis!.url, windowMs: 60_000, timeoutMs: 10_000, leaseTtlMs: 60_000, prefix: 'closing' });
    const one = [{ key: 'closing', concurrency: 1 }];
    const s = mk();
    await s.ready();
    // Stopped, Redis reads nothing: the admission waits in its socket and runs when Redis wakes, after this
    // side has closed. Its answer is never read, so only a cancellation written behind it undoes it.
    const pid = redis!.child.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      const gaveUp = s.admit({ specs: one, tokens: 1, lease: 'answered-503' });
      await sleep(50);
      await s.close();
      await expect(gaveUp).rejects.toThrow();
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const next = mk();
    try {
      await next.ready();
      expect(await next.admit({ specs: one, tokens: 1, lease: 'next' })).toMatchObject({ ok: true });
    } finally {
      await next.close();
    }
  });

  it('sends a timed-out admission one cancellation, not one per retry', async () => {
    await withStore('once', async (s, admin) => {
      const scripts = async () => {
        const info = String(await admin.info('commandstats'));
        let n = 0;
        for (const m of info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)) n += Number(m[1]);
        return n;
      };
      await admin.config('RESETSTAT');
      await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
      await expect(s.admit({ specs: [{ key: 'once', tpm: 1000 }], tokens: 10, lease: 'slow' })).rejects.toThrow(/timed out/);
      await sleep(2500);
      // The admission and one cancellation: a cancellation that timed out was sent again with backoff, and each
      // copy queued up behind the pause (a 10 s stall made 8 scripts per request).
      expect(await scripts()).toBeLessThanOrEqual(2);
    });
  });

  it('undoes an admission whose answer and cancellation a partition lost, once the connection is back', async () => {
    // A proxy that, once cut, forwards one write (the admission) and loses everything after it both ways.
    let cut = false;
    let forward = 0;
    const pairs: Socket[] = [];
    const proxy = createServer((c) => {
      const r = connect(redis!.port, '127.0.0.1');
      pairs.push(c, r);
      c.on('data', (d) => (!cut || forward-- > 0) && r.write(d));
      r.on('data', (d) => !cut && c.write(d));
      for (const [a, b] of [
        [c, r],
        [r, c],
      ] as const) {
        a.on('error', () => {});
        a.on('close', () => b.destroy());
      }
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const s = new RedisLimitStore({
      url: `redis://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      windowMs: 60_000,
      timeoutMs: 100,
      leaseTtlMs: 60_000,
      prefix: 'partition',
    });
    const admin = new Redis(redis!.url);
    try {
      await s.ready();
      const one = [{ key: 'cut', tpm: 1000, concurrency: 1 }];
      const warm = await s.admit({ specs: one, tokens: 1, lease: 'warm' });
      if (!warm.ok) throw new Error('not admitted');
      await s.settle(warm.reservation, 1);
      await s.release(warm.reservation);
      cut = true;
      forward = 1;
      await expect(s.admit({ specs: one, tokens: 500, lease: 'lost' })).rejects.toThrow(/timed out/);
      await sleep(400);
      // The partition ends with a reset; the store reconnects and sends the cancellation that never arrived.
      cut = false;
      for (const p of pairs.splice(0)) p.destroy();
      await s.ready().catch(() => {});
      let next: AdmitOutcome | undefined;
      for (let i = 0; i < 50 && !next?.ok; i++) {
        await sleep(100);
        next = await s.admit({ specs: one, tokens: 10, lease: `after-${i}` }).catch(() => undefined);
      }
      // Without the resend the lease held the only slot for leaseTtl (60 s) and the 500 tokens stayed charged.
      expect(next).toMatchObject({ ok: true });
    } finally {
      admin.disconnect();
      await s.close();
      proxy.close();
    }
  });

  it('does nothing when the cancellation reached Redis before the admission it cancels', async () => {
    await withStore('late', async (s, admin) => {
      await admin.set('late:{ghost}#lease:late-one', 'cancelled', 'PX', 60_000);
      await expect(s.admit({ specs: spec, tokens: 900, lease: 'late-one' })).rejects.toThrow(/cancelled/);
      const next = await s.admit({ specs: spec, tokens: 1000, lease: 'next' });
      expect(next).toMatchObject({ ok: true });
    });
  });
});

describe('a backward clock step', () => {
  it('memory store: usage from before the step leaves the window one window later, not when the clock catches up', () => {
    let now = 1_800_000_000_000;
    const s = new MemoryLimitStore(60_000, () => now);
    const specs = [{ key: 't', tpm: 1000 }];
    expect(s.admit({ specs, tokens: 1000, lease: 'fill' }).ok).toBe(true);
    now -= 3_600_000; // the wall clock is stepped back an hour
    expect(s.admit({ specs, tokens: 10, lease: 'a' })).toMatchObject({ ok: false, kind: 'tokens' });
    now += 62_000;
    expect(s.admit({ specs, tokens: 10, lease: 'b' }).ok).toBe(true);
  });

  it('memory store: a reservation from before the step is still refunded after it', () => {
    let now = 1_800_000_000_000;
    const s = new MemoryLimitStore(60_000, () => now);
    const specs = [{ key: 't', tpm: 1000 }];
    const a = s.admit({ specs, tokens: 1000, lease: 'fill' });
    if (!a.ok) throw new Error('not admitted');
    now -= 3_600_000;
    s.settle(a.reservation, 0);
    expect(s.admit({ specs, tokens: 1000, lease: 'b' }).ok).toBe(true);
  });

  it.skipIf(!redis)('redis store: a bucket ahead of Redis TIME counts as now and leaves the window one window later', async () => {
    const s = new RedisLimitStore({ url: redis!.url, windowMs: WINDOW, timeoutMs: REDIS_TIMEOUT, leaseTtlMs: 400, prefix: 'step' });
    await s.ready();
    const admin = new Redis(redis!.url);
    try {
      // What an admission wrote before Redis's clock was stepped back an hour.
      const ahead = Math.floor(Date.now() / (WINDOW / 60)) + 360_000;
      await admin.hset('step:{t}:t:w600:tpm', String(ahead), '100');
      await admin.pexpire('step:{t}:t:w600:tpm', 10_000);
      const denied = await s.admit({ specs: [{ key: 't', tpm: 100 }], tokens: 10, lease: 'a' });
      expect(denied).toMatchObject({ ok: false, kind: 'tokens' });
      if (!denied.ok) expect(denied.retryAfterMs).toBeLessThan(10 * WINDOW);
      await sleep(2 * WINDOW);
      expect((await s.admit({ specs: [{ key: 't', tpm: 100 }], tokens: 10, lease: 'b' })).ok).toBe(true);
    } finally {
      admin.disconnect();
      await s.close();
    }
  });
});
