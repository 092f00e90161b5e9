/**
 * A Redis failover behind one address (a managed Redis's primary endpoint, a DNS name moved to the promoted replica):
 * the old primary, demoted, keeps the gateway's connection open and answers every write `READONLY You can't write
 * against a read only replica`. The store never reconnected — a reply error is no lost connection — so every admission
 * failed for as long as the gateway ran (503 `rate_limit_store_unavailable` under onError: closed, each replica's share
 * failing open), and a settlement refused so was dropped: its request's slot stayed held and its reservation stood. The
 * store now reconnects on READONLY (ioredis's reconnectOnError, as its documentation advises for failovers), reaching
 * the new primary, and keeps a settlement so refused (a replica writes nothing: it never ran) for that reconnection.
 */
import { connect, createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { parseProfile } from '../../../src/profile/load.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';
import { cleanupScope } from '../../helpers/cleanup.js';
import { eventually } from '../../helpers/eventually.js';
import { redisAvailable, useRedis } from '../../helpers/redis.js';

/** One address for a primary that moves: new connections go to `target`, open ones stay where they went. */
async function endpoint(first: number): Promise<{ url: string; moveTo(port: number): void }> {
  const cleanupAfter = cleanupScope();
  let target = first;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    client.on('error', () => {});
    const upstream = connect(target, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    sockets.add(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanupAfter(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`, moveTo: (p) => void (target = p) };
}

describe.skipIf(!redisAvailable)('a failover behind the store’s address', () => {
  it('reaches the promoted primary, and settles there what the demoted one refused', async () => {
    const [a, b] = [await useRedis(), await useRedis()];
    const ep = await endpoint(a.port);
    const r = parseProfile(
      `version: 1
limits: { store: { redis: "${ep.url}", timeout: 1s, onError: closed } }
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
    const adminA = new Redis(a.url);
    const adminB = new Redis(b.url);
    try {
      const inflight = await l.admit(tenant, 'm', 10, 'lease-1', 'r1');
      if ('code' in inflight) throw new Error(`refused: ${inflight.message}`);
      // The failover: A's data reaches B (a replica in sync), A is demoted to B's replica, the address moves to B.
      // Synced through sockets alone: a replica writing what it receives to dump.rdb in the working directory had the
      // next redis-server started there load it.
      for (const admin of [adminA, adminB]) {
        await admin.config('SET', 'repl-diskless-sync', 'yes', 'repl-diskless-sync-delay', '0', 'repl-diskless-load', 'swapdb');
      }
      await adminB.replicaof('127.0.0.1', String(a.port));
      await eventually(async () => (await adminB.exists('aigw:{t}:t:conc')) === 1, 3000);
      await adminB.replicaof('NO', 'ONE');
      await adminA.replicaof('127.0.0.1', String(b.port));
      ep.moveTo(b.port);
      // The request admitted before the failover ends: its settlement goes to the demoted primary.
      // (Refused, it rejects: the settle stage ignores that, as here.)
      await Promise.resolve(inflight.store.settle(inflight.reservation!, 10)).catch(() => {});
      // Admissions reach the new primary again, and find the slot freed there.
      let last: unknown;
      await eventually(async () => {
        last = await l.admit(tenant, 'm', 10, `lease-${Math.random()}`, 'r2');
        return !('code' in (last as object));
      }, 3000).catch(() => {
        throw new Error(`never admitted again after the failover: ${JSON.stringify(last)}`);
      });
      expect(await adminB.zcard('aigw:{t}:t:conc')).toBe(1);
    } finally {
      adminA.disconnect();
      adminB.disconnect();
      await l.close();
    }
  });
});
