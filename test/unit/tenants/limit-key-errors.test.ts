/**
 * One unusable limit key in Redis (a value of another type at it) is not a store outage: the store stays up for
 * every other tenant, it is said once, not per request, and the tenant's requests follow `onError`.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GatewayEvent } from '../../../src/events/types.js';
import { EventBus } from '../../../src/events/bus.js';
import { parseProfile } from '../../../src/profile/load.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';
import { redisAvailable, useRedis } from '../../helpers/redis.js';

const redis = redisAvailable ? await useRedis() : undefined;
if (!redis) it.skip('redis-server is not installed here: the Redis store is not tested', () => {});

async function setup(onError: 'open' | 'closed') {
  const prefix = `wrongtype-${onError}`;
  const r = parseProfile(
    `version: 1
limits: { store: { redis: "${redis!.url}", timeout: 2s, prefix: ${prefix}, onError: ${onError} } }
backends: { b: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: b }] } }
tenants:
  t: { keys: [k1], limits: { rpm: 2 } }
  u: { keys: [k2], limits: { rpm: 100 } }
`,
    'p.yaml',
    {},
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  const admin = new Redis(redis!.url);
  await admin.set(`${prefix}:{t}:t:w60000:rpm`, 'hello');
  admin.disconnect();
  const bus = new EventBus();
  const events: GatewayEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const limiter = await Limiter.create(r.profile, bus);
  opened.push(limiter);
  const tenants = new TenantDirectory(r.profile).tenants;
  // What the limiter says goes to stderr: kept, for the tests that read it.
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return { limiter, events, stderr, t: tenants.get('t')!, u: tenants.get('u')! };
}

const opened: Limiter[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const l of opened.splice(0)) await l.close();
});

describe.skipIf(!redis)('an unusable limit key in Redis', () => {
  it.each(['open', 'closed'] as const)('is said once and never reported as a store outage (onError: %s)', async (onError) => {
    const { limiter, events, stderr, t, u } = await setup(onError);
    for (let i = 0; i < 10; i++) {
      await limiter.admit(t, 'm', 1, `t${i}`, 'r');
      expect(await limiter.admit(u, 'm', 1, `u${i}`, 'r')).toMatchObject({ headers: { 'x-ratelimit-limit-requests': '100' } });
    }
    expect(events.filter((e) => e.type === 'limits_store')).toEqual([]);
    const said = stderr.mock.calls.map((c) => String(c[0]));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/tenant t's limits/);
  });

  it('serves the tenant at its limit ÷ replicas locally when the store fails open', async () => {
    const { limiter, t } = await setup('open');
    const outs = [];
    for (let i = 0; i < 3; i++) outs.push(await limiter.admit(t, 'm', 1, `t${i}`, 'r'));
    expect(outs.map((o) => ('code' in o ? o.code : 'admitted'))).toEqual(['admitted', 'admitted', 'rate_limit_exceeded']);
  });

  it('answers 503 rate_limit_store_unavailable for the tenant when the store fails closed', async () => {
    const { limiter, t } = await setup('closed');
    expect(await limiter.admit(t, 'm', 1, 't0', 'r')).toMatchObject({ code: 'rate_limit_store_unavailable' });
  });
});
