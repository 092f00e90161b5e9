/**
 * A Redis busy with a long script (another application's, past `busy-reply-threshold`) answers every other command
 * `BUSY Redis is busy running a script` without running it, on a live connection. A settlement so refused was dropped:
 * the request's concurrency slot stayed held for leaseTtl once Redis was free again (a tenant of concurrency 1 refused
 * for 30 s) and its reservation stood for its window (a budget's day). It never ran, so it is kept and sent again once
 * Redis answers again — no reconnection follows a reply, so the next answer is the signal.
 */
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { parseProfile } from '../../../src/profile/load.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';
import { eventually } from '../../helpers/eventually.js';
import { redisAvailable, useRedis } from '../../helpers/redis.js';

describe.skipIf(!redisAvailable)('a settlement refused BUSY', () => {
  it('is sent again once Redis answers again: the slot frees', async () => {
    const redis = await useRedis();
    const r = parseProfile(
      `version: 1
limits: { store: { redis: "${redis.url}", timeout: 2s, onError: closed } }
backends: { x: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: x }] } }
tenants: { t: { keys: [k], limits: { concurrency: 1 } } }
`,
      'p.yaml',
      {},
    );
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const l = await Limiter.create(r.profile, new EventBus());
    const tenant = new TenantDirectory(r.profile).tenants.get('t')!;
    const admin = new Redis(redis.url);
    const busy = new Redis(redis.url);
    busy.on('error', () => {});
    try {
      const inflight = await l.admit(tenant, 'm', 10, 'lease-1', 'r1');
      if ('code' in inflight) throw new Error('refused');
      await admin.config('SET', 'busy-reply-threshold', '50');
      // Another client's script that runs until it is killed.
      const spinning = busy.eval('while true do end', 0).catch(() => {});
      await eventually(async () => (await admin.ping().catch((e: Error) => e.message)).startsWith('BUSY'), 3000);
      // The request ends while Redis is busy: its settlement is refused, unrun.
      await Promise.resolve(inflight.store.settle(inflight.reservation!, 10)).catch(() => {});
      await admin.script('KILL');
      await spinning;
      // Redis answers again: the settlement goes, and the slot frees (not after leaseTtl, 30 s).
      let last: unknown;
      await eventually(async () => {
        last = await l.admit(tenant, 'm', 10, `lease-${Math.random()}`, 'r2');
        if (!('code' in (last as object))) return true;
        return false;
      }, 3000).catch(() => {
        throw new Error(`the slot stayed held: ${JSON.stringify(last)}`);
      });
      expect(await admin.zcard('aigw:{t}:t:conc')).toBe(1);
    } finally {
      admin.disconnect();
      busy.disconnect();
      await l.close();
    }
  });
});
