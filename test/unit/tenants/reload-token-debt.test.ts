/**
 * A reload that changes `limits.rateWindow` is no way to reset a limit (attacker review, trust 79 and 82). Both stores
 * start fresh windows then, and made a fresh debt of each key too: a tenant owing ten windows of tokens (a debt drains
 * at one limit a window, store.ts) was admitted at once after the reload — the in-process store's meters were new, and
 * Redis kept the debt in the old window's hash (`…:w60000:tpm`), which the new window never reads. The debt is tokens
 * owed: it carries.
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
  ...(redis ? [{ name: 'redis', store: (prefix: string) => `, store: { redis: "${redis.url}", timeout: 2s, prefix: ${prefix} }` }] : []),
];

async function limiter(window: string, store: string, previous?: Limiter) {
  const r = parseProfile(
    `version: 1
limits: { rateWindow: ${window}${store} }
backends: { a: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: a }] } }
tenants: { acme: { keys: [k], limits: { tpm: 1000 } } }
`,
    'p.yaml',
    {},
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  const l = await Limiter.create(r.profile, new EventBus(), previous);
  return { l, tenant: new TenantDirectory(r.profile).tenants.get('acme')! };
}

/** Reserved 100, used 11,000 under `window`: the window holds 1,000, and 10,000 carry — ten windows' worth. */
async function inDebt(window: string, store: string) {
  const before = await limiter(window, store);
  const a = await before.l.admit(before.tenant, 'm', 100, 'lease-1', 'req-1');
  if ('code' in a) throw new Error('refused');
  await a.store.settle(a.reservation!, 11_000);
  expect(await before.l.admit(before.tenant, 'm', 10, 'lease-2', 'req-2')).toMatchObject({ type: 'tokens' });
  return before;
}

describe.each(stores)('a reload that changes limits.rateWindow ($name store)', ({ name, store }) => {
  it("keeps a tenant's carried token debt", async () => {
    const s = store(`debt-short-${name}`);
    const before = await inDebt('60s', s);
    const after = await limiter('30s', s, before.l);
    try {
      // Still owed: ~10,000 tokens, draining at 1,000 a 30 s window — about five minutes, not none.
      const refused = await after.l.admit(after.tenant, 'm', 10, 'lease-3', 'req-3');
      if (!('code' in refused)) throw new Error('admitted: the reload erased the debt');
      expect(refused.type).toBe('tokens');
      expect(Number(refused.headers?.['retry-after'])).toBeGreaterThan(200);
    } finally {
      await before.l.close();
      await after.l.close();
    }
  });
});

describe.skipIf(!redis)('the Redis store, across a reload that lengthens the window', () => {
  it('keeps the debt until it has drained at the new window’s rate', async () => {
    const s = stores[1]!.store('debt-long');
    const before = await inDebt('30s', s);
    const after = await limiter('120s', s, before.l);
    const admin = new Redis(redis!.url);
    try {
      const refused = await after.l.admit(after.tenant, 'm', 10, 'lease-3', 'req-3');
      if (!('code' in refused)) throw new Error('admitted: the reload erased the debt');
      // ~10,000 tokens at 1,000 a 120 s window: ~20 minutes. Written under the 30 s window, the debt's key was to
      // expire after ~5 minutes, forgiving three quarters of it: the admission that reads it keeps it longer.
      expect(Number(refused.headers?.['retry-after'])).toBeGreaterThan(1000);
      expect(await admin.pttl('debt-long:{acme}:acme:tpm-debt')).toBeGreaterThan(1_000_000);
    } finally {
      admin.disconnect();
      await before.l.close();
      await after.l.close();
    }
  });

  it('still reads a debt an earlier version kept in the window’s hash', async () => {
    const admin = new Redis(redis!.url);
    const l = await limiter('60s', stores[1]!.store('debt-legacy'));
    try {
      const [sec = 0, usec = 0] = (await admin.time()).map(Number);
      const legacy = 'debt-legacy:{acme}:acme:w60000:tpm';
      await admin.hset(legacy, 'ca', '5000', 'ct', String(sec * 1000 + Math.floor(usec / 1000)));
      await admin.pexpire(legacy, 600_000);
      expect(await l.l.admit(l.tenant, 'm', 10, 'lease-1', 'req-1')).toMatchObject({ type: 'tokens' });
    } finally {
      admin.disconnect();
      await l.l.close();
    }
  });
});
