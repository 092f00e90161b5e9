/**
 * Failing open while the shared store is away, each replica holds its share of every limit in memory. A reload that made
 * a new limiter then (any change to `limits.store` — its timeout, its leaseTtl, onError — or to `rateWindow`) made a new
 * in-memory store of those shares: the requests in flight no longer held their concurrency slots in it, and the spend
 * of the budget's share was forgotten — a tenant at concurrency 1 had two requests answered at once, and one that had
 * spent its share of the day's budget was admitted again, all during the same outage. The in-process store keeps them
 * across such a reload (LeaseRegistry, BudgetRegistry, DebtRegistry); the degraded store now does too.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { parseProfile } from '../../../src/profile/load.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';
import { freePort } from '../../helpers/ports.js';

const opened: Limiter[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const l of opened.splice(0)) await l.close();
});

async function limiter(port: number, leaseTtl: string, previous?: Limiter) {
  const r = parseProfile(
    `version: 1
limits: { store: { redis: "redis://127.0.0.1:${port}", timeout: 100ms, leaseTtl: ${leaseTtl} } }
backends: { b: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: b }] } }
tenants:
  one: { keys: [k1], limits: { concurrency: 1 } }
  spender: { keys: [k2], limits: { budget: { usd: 0.001, per: 24h } } }
`,
    'p.yaml',
    {},
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const l = await Limiter.create(r.profile, new EventBus(), previous);
  opened.push(l);
  return { l, tenants: new TenantDirectory(r.profile).tenants };
}

describe('a reload during an outage of the shared store (failing open)', () => {
  it('keeps the slots of the requests in flight and the spend of the budget’s share', async () => {
    // Nothing listens there: the store is away from the start.
    const port = await freePort();
    const before = await limiter(port, '30s');
    const inflight = await before.l.admit(before.tenants.get('one')!, 'm', 10, 'lease-1', 'r1');
    if ('code' in inflight) throw new Error('refused');
    const spent = await before.l.admit(before.tenants.get('spender')!, 'm', 10, 'lease-2', 'r2', 900);
    if ('code' in spent) throw new Error('refused');
    await spent.store.settle(spent.reservation!, 10, 900);
    expect(await before.l.admit(before.tenants.get('one')!, 'm', 10, 'lease-3', 'r3')).toMatchObject({ type: 'concurrency' });

    // A reload that changes the store's settings: a new limiter, the store still away.
    const after = await limiter(port, '20s', before.l);
    expect(await after.l.admit(after.tenants.get('one')!, 'm', 10, 'lease-4', 'r4')).toMatchObject({ type: 'concurrency' });
    expect(await after.l.admit(after.tenants.get('spender')!, 'm', 10, 'lease-5', 'r5', 900)).toMatchObject({ type: 'budget' });

    // The request from before the reload ends: its slot frees for the limiter serving now.
    await inflight.store.settle(inflight.reservation!, 10);
    const next = await after.l.admit(after.tenants.get('one')!, 'm', 10, 'lease-6', 'r6');
    expect('code' in next).toBe(false);
  });
});
