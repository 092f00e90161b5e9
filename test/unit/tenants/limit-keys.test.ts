/** Limit keys name one limit of one tenant: tenant names may hold `/`, model limits are `tenant/model`. */
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { parseProfile } from '../../../src/profile/load.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';
import { redisAvailable, useRedis } from '../../helpers/redis.js';

const redis = redisAvailable ? await useRedis() : undefined;
if (!redis) it.skip('redis store (redis-server is not installed here)', () => {});

const stores = [
  { name: 'memory', store: '' },
  ...(redis ? [{ name: 'redis', store: `limits: { store: { redis: "${redis.url}", timeout: 2s, prefix: slash } }` }] : []),
];

/** A limiter and its tenants for a profile of one model `m`, with `store` and `tenants` as given. */
async function limiterFor(store: string, tenants: string) {
  const r = parseProfile(
    `version: 1
${store}
backends: { b: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: b }] } }
tenants:
${tenants}
`,
    'p.yaml',
    {},
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  return { limiter: await Limiter.create(r.profile, new EventBus()), tenants: new TenantDirectory(r.profile).tenants };
}

describe.each(stores)('limit keys with the $name store', ({ store }) => {
  it("keeps tenant a/m's own limits apart from tenant a's limits for model m", async () => {
    const { limiter, tenants } = await limiterFor(
      store,
      '  a: { keys: [ka], modelLimits: { m: { rpm: 3 } } }\n  a/m: { keys: [kam], limits: { rpm: 1000 } }',
    );
    try {
      for (let i = 0; i < 3; i++) expect(await limiter.admit(tenants.get('a/m')!, 'm', 1, `am${i}`, 'r')).not.toHaveProperty('code');
      const first = await limiter.admit(tenants.get('a')!, 'm', 1, 'a0', 'r');
      expect(first).not.toHaveProperty('code');
      expect(first).toMatchObject({ headers: { 'x-ratelimit-remaining-requests': '2' } });
    } finally {
      await limiter.close();
    }
  });

  it("says the binding limit's figures: the one with the least left, and on a 429 the limit that refused", async () => {
    const { limiter, tenants } = await limiterFor(
      store,
      '  both: { keys: [kb], limits: { rpm: 100, tpm: 100000 }, modelLimits: { m: { rpm: 2, tpm: 500 } } }',
    );
    const both = tenants.get('both')!;
    try {
      const first = await limiter.admit(both, 'm', 10, 'b0', 'r');
      // Per model: 1 of 2 requests and 490 of 500 tokens left (tenant-wide: 99 and 99,990).
      expect(first).toMatchObject({
        headers: {
          'x-ratelimit-limit-requests': '2',
          'x-ratelimit-remaining-requests': '1',
          'x-ratelimit-limit-tokens': '500',
          'x-ratelimit-remaining-tokens': '490',
        },
      });
      expect(await limiter.admit(both, 'm', 10, 'b1', 'r')).not.toHaveProperty('code');
      const refused = await limiter.admit(both, 'm', 10, 'b2', 'r');
      expect(refused).toMatchObject({ code: 'rate_limit_exceeded' });
      const headers = (refused as { headers?: Record<string, string> }).headers;
      expect(headers).toMatchObject({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '0' });
    } finally {
      await limiter.close();
    }
  });
});
