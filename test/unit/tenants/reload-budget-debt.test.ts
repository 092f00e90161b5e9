/**
 * A reload that changes a budget's `per` is no way to forgive what a tenant owes (as trust 93 is for a token debt and
 * `limits.rateWindow`). The window's spend starts fresh (budget.test.ts), but the debt beyond it is money owed, not a
 * window's: it was kept with the window — the in-process store's meter of the old length, Redis's `…:w86400000:usd`
 * hash — and a tenant owing ten days of its budget was admitted at once after a reload from 24h to 12h.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { parseProfile } from '../../../src/profile/load.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';
import { redisAvailable, useRedis } from '../../helpers/redis.js';

const redis = redisAvailable ? await useRedis() : undefined;
if (!redis) it.skip('redis store (redis-server is not installed here)', () => {});

const stores = [
  { name: 'memory', store: () => '' },
  ...(redis
    ? [{ name: 'redis', store: (prefix: string) => `limits: { store: { redis: "${redis.url}", timeout: 2s, prefix: ${prefix} } }` }]
    : []),
];

async function limiter(per: string, store: string, previous?: Limiter) {
  const r = parseProfile(
    `version: 1
${store}
backends: { a: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: a }] } }
tenants: { acme: { keys: [k], limits: { budget: { usd: 0.001, per: ${per} } } } }
`,
    'p.yaml',
    {},
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  const l = await Limiter.create(r.profile, new EventBus(), previous);
  return { l, tenant: new TenantDirectory(r.profile).tenants.get('acme')! };
}

/** $0.0001 reserved, $0.011 spent under a $0.001 a day budget: the window holds $0.001, and $0.01 carries — ten days. */
async function inDebt(store: string) {
  const before = await limiter('24h', store);
  const a = await before.l.admit(before.tenant, 'm', 0, 'lease-1', 'req-1', 100);
  if ('code' in a) throw new Error('refused');
  await a.store.settle(a.reservation!, 0, 11_000);
  expect(await before.l.admit(before.tenant, 'm', 0, 'lease-2', 'req-2', 10)).toMatchObject({ type: 'budget' });
  return before;
}

describe.each(stores)("a reload that changes a budget's per ($name store)", ({ name, store }) => {
  it("keeps the tenant's carried budget debt", async () => {
    const s = store(`budget-debt-${name}`);
    const before = await inDebt(s);
    const after = await limiter('12h', s, before.l);
    try {
      // Still owed: ~$0.01, draining at $0.001 a 12 h window — about five days, not none.
      const refused = await after.l.admit(after.tenant, 'm', 0, 'lease-3', 'req-3', 10);
      if (!('code' in refused)) throw new Error("admitted: the reload forgave the tenant's debt");
      expect(refused.type).toBe('budget');
      expect(Number(refused.headers?.['retry-after'])).toBeGreaterThan(4 * 86_400);
    } finally {
      await before.l.close();
      await after.l.close();
    }
  });
});

describe.skipIf(!redis)('the Redis store', () => {
  it('still reads a budget debt an earlier version kept in the window’s hash', async () => {
    const admin = new Redis(redis!.url);
    const l = await limiter('24h', stores[1]!.store('budget-debt-legacy'));
    try {
      const [sec = 0, usec = 0] = (await admin.time()).map(Number);
      const legacy = 'budget-debt-legacy:{acme}:acme:w86400000:usd';
      await admin.hset(legacy, 'ca', '5000', 'ct', String(sec * 1000 + Math.floor(usec / 1000)));
      await admin.pexpire(legacy, 600_000);
      expect(await l.l.admit(l.tenant, 'm', 0, 'lease-1', 'req-1', 10)).toMatchObject({ type: 'budget' });
    } finally {
      admin.disconnect();
      await l.l.close();
    }
  });
});
