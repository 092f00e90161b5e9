/**
 * The Redis key of a carried debt (`…:usd-debt`, `…:tpm-debt`) lives until the debt has drained at the rate its readers
 * drain it. A reload that lengthens a budget's `per` slows that drain, and ADMIT lengthens the key's life to match — but
 * a settlement of a request admitted before the reload (its reservation names the old `per`) set the key's expiry anew
 * from the old, faster rate: a debt of ~300 days under the new per was kept for ten, then forgiven whole.
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

const DAY = 86_400_000;

async function limiter(per: string, previous?: Limiter) {
  const r = parseProfile(
    `version: 1
limits: { store: { redis: "${redis!.url}", timeout: 2s, prefix: debt-ttl } }
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

describe.skipIf(!redis)('a budget debt in Redis across a reload that lengthens its per', () => {
  it('is kept as long as the new per drains it, whatever a request admitted before the reload settles', async () => {
    const admin = new Redis(redis!.url);
    const before = await limiter('24h');
    let after: Awaited<ReturnType<typeof limiter>> | undefined;
    try {
      const a = await before.l.admit(before.tenant, 'm', 0, 'lease-1', 'req-1', 100);
      const b = await before.l.admit(before.tenant, 'm', 0, 'lease-2', 'req-2', 100);
      if ('code' in a || 'code' in b) throw new Error('refused');
      // $0.011 spent on a $0.0001 reservation: the day's $0.001 is full and ~$0.0101 carries (ten days at $0.001 a day).
      await a.store.settle(a.reservation!, 0, 11_000);
      after = await limiter('720h', before.l);
      // Read under the new per: ~$0.0101 drains at $0.001 a 30 days — ~303 days — and ADMIT keeps the key that long.
      expect(await after.l.admit(after.tenant, 'm', 0, 'lease-3', 'req-3', 10)).toMatchObject({ type: 'budget' });
      const key = 'debt-ttl:{acme}:acme:usd-debt';
      expect(await admin.pttl(key)).toBeGreaterThan(300 * DAY);
      // The request admitted before the reload ends, $0.0001 over its reservation: it settles against the old per.
      await b.store.settle(b.reservation!, 0, 200);
      expect(await admin.pttl(key)).toBeGreaterThan(300 * DAY);
    } finally {
      admin.disconnect();
      await before.l.close();
      await after?.l.close();
    }
  });
});
