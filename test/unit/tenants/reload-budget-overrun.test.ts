/**
 * A request admitted before a reload that changed its budget's `per` and ending over its reservation: what it spent
 * past the reservation is owed all the same. Redis settles it against the old window's hash, and what that window has
 * no room for carries as the tenant's debt (`…:usd-debt`), read by the new window; the in-process store dropped the
 * whole settlement (its reservation went with the old window), so $0.011 spent under a $0.001 budget cost nothing.
 */
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { parseProfile } from '../../../src/profile/load.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';
import { redisAvailable, useRedis } from '../../helpers/redis.js';

const redis = redisAvailable ? await useRedis() : undefined;

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

describe.each(stores)("a request in flight across a reload that changes its budget's per ($name store)", ({ name, store }) => {
  it('owes what it spent past its reservation', async () => {
    const s = store(`budget-overrun-${name}`);
    const before = await limiter('24h', s);
    const a = await before.l.admit(before.tenant, 'm', 0, 'lease-1', 'req-1', 100);
    if ('code' in a) throw new Error('refused');
    const after = await limiter('12h', s, before.l);
    try {
      // Another request, admitted under the new per (the new window made).
      const b = await after.l.admit(after.tenant, 'm', 0, 'lease-b', 'req-b', 10);
      if ('code' in b) throw new Error('refused');
      // $0.0001 reserved, $0.011 spent: ~$0.01 past the budget — about five 12 h windows.
      await a.store.settle(a.reservation!, 0, 11_000);
      const refused = await after.l.admit(after.tenant, 'm', 0, 'lease-2', 'req-2', 10);
      if (!('code' in refused)) throw new Error('admitted: the overrun of a request admitted before the reload was forgiven');
      expect(refused.type).toBe('budget');
      expect(Number(refused.headers?.['retry-after'])).toBeGreaterThan(3 * 86_400);
    } finally {
      await before.l.close();
      await after.l.close();
    }
  });
});
