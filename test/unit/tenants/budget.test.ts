/**
 * Budgets at the limiter, without sockets: what a request reserves (its most expensive outcome), the 429 a
 * tenant over budget gets (type budget, an honest retry-after, and x-should-retry: false when the window
 * refills in more than a minute), and what a request that can cost nothing meets.
 */
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import type { RateLimitEvent } from '../../../src/events/types.js';
import { parseProfile } from '../../../src/profile/load.js';
import { costBound } from '../../../src/tenants/admission.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';

async function limiter(budget: string, previous?: Limiter, limits = '') {
  const r = parseProfile(
    `version: 1
${limits}
backends: { a: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: a }] } }
tenants: { acme: { keys: [k], limits: { budget: ${budget} } } }
`,
    'p.yaml',
    {},
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  const bus = new EventBus();
  const events: RateLimitEvent[] = [];
  bus.subscribe((e) => {
    if (e.type === 'ratelimit') events.push(e);
  });
  const l = await Limiter.create(r.profile, bus, previous);
  return { l, tenant: new TenantDirectory(r.profile).tenants.get('acme')!, events };
}

describe('the reservation', () => {
  const cases: [string, { input: number; cachedInput?: number; cacheWrite?: number; output: number }[], number, number, number][] = [
    ['no prices: nothing to reserve', [], 1000, 100, 0],
    ['one price: prompt × input + completion × output, in micro-dollars', [{ input: 1, output: 2 }], 1000, 100, 1200],
    [
      'the dearest outcome over every reachable price',
      [
        { input: 1, output: 2 },
        { input: 3, output: 1 },
        { input: 0.5, output: 10 },
      ],
      1000,
      100,
      3100,
    ],
    ['cached input priced above input bounds the prompt too', [{ input: 1, cachedInput: 4, output: 0 }], 10, 0, 40],
    ['a cache write priced above input bounds the prompt too', [{ input: 1, cacheWrite: 1.25, output: 0 }], 100, 0, 125],
    ['fractions round up, never down', [{ input: 0.15, output: 0.6 }], 7, 3, 3],
  ];
  it.each(cases)('%s', (_name, prices, prompt, completion, want) => {
    expect(costBound(prices, prompt, completion)).toBe(want);
  });
});

describe('a tenant over budget', () => {
  it('gets 429 type budget with an honest retry-after; a refill over a minute away says x-should-retry: false', async () => {
    const { l, tenant, events } = await limiter('{ usd: 0.001, per: 1h }');
    const first = await l.admit(tenant, 'm', 10, 'lease-1', 'req-1', 800);
    expect('code' in first).toBe(false);
    const second = await l.admit(tenant, 'm', 10, 'lease-2', 'req-2', 800);
    if (!('code' in second)) throw new Error('admitted over budget');
    expect(second).toMatchObject({ code: 'rate_limit_exceeded', type: 'budget' });
    expect(second.message).toContain('budget (this request may cost up to $0.000800)');
    const retry = Number(second.headers?.['retry-after']);
    // The first reservation leaves the hour-long window in about an hour.
    expect(retry).toBeGreaterThan(3500);
    expect(retry).toBeLessThanOrEqual(3700);
    expect(second.headers?.['x-should-retry']).toBe('false');
    expect(events.at(-1)).toMatchObject({ tenant: 'acme', kind: 'budget' });
    await l.close();
  });

  it('can never admit a request whose bound exceeds the whole budget, yet lets one that can cost nothing through', async () => {
    const { l, tenant } = await limiter('{ usd: 0.0001, per: 1m }');
    const huge = await l.admit(tenant, 'm', 10, 'lease-1', 'req-1', 101);
    expect(huge).toMatchObject({ type: 'budget', headers: { 'x-should-retry': 'false' } });
    // Exactly the budget fits; then it is spent.
    expect('code' in (await l.admit(tenant, 'm', 10, 'lease-2', 'req-2', 100))).toBe(false);
    expect(await l.admit(tenant, 'm', 10, 'lease-4', 'req-4', 1)).toMatchObject({ type: 'budget' });
    const free = await l.admit(tenant, 'm', 10, 'lease-3', 'req-3', 0);
    expect('code' in free).toBe(false);
    await l.close();
  });

  it('keeps retry-after without x-should-retry when the window refills within a minute', async () => {
    const { l, tenant } = await limiter('{ usd: 0.001, per: 30s }');
    await l.admit(tenant, 'm', 10, 'lease-1', 'req-1', 900);
    const refused = await l.admit(tenant, 'm', 10, 'lease-2', 'req-2', 900);
    if (!('code' in refused)) throw new Error('admitted over budget');
    expect(Number(refused.headers?.['retry-after'])).toBeLessThanOrEqual(31);
    expect(refused.headers?.['x-should-retry']).toBeUndefined();
    await l.close();
  });
});

describe('a reload', () => {
  it("that changes limits.rateWindow keeps the budgets' spend (a budget's window is its own)", async () => {
    const before = await limiter('{ usd: 0.001, per: 24h }');
    expect('code' in (await before.l.admit(before.tenant, 'm', 10, 'lease-1', 'req-1', 900))).toBe(false);
    const after = await limiter('{ usd: 0.001, per: 24h }', before.l, 'limits: { rateWindow: 30s }');
    // Spent before the reload: $0.0009 of $0.001 for the day, so $0.0009 more is refused after it.
    expect(await after.l.admit(after.tenant, 'm', 10, 'lease-2', 'req-2', 900)).toMatchObject({ type: 'budget' });
    expect('code' in (await after.l.admit(after.tenant, 'm', 10, 'lease-3', 'req-3', 100))).toBe(false);
    await before.l.close();
    await after.l.close();
  });
});

describe('a reload that changes a budget’s per', () => {
  it('keeps the spend after it when a request admitted before it settles (its window is gone, not the new one)', async () => {
    const before = await limiter('{ usd: 0.001, per: 24h }');
    // A long answer in flight across the reload, admitted under the day's window.
    const inflight = await before.l.admit(before.tenant, 'm', 10, 'lease-1', 'req-1', 100);
    if ('code' in inflight) throw new Error('refused');
    const after = await limiter('{ usd: 0.001, per: 48h }', before.l);
    // After the reload: $0.0009 of the new window's $0.001, spent.
    const spent = await after.l.admit(after.tenant, 'm', 10, 'lease-2', 'req-2', 900);
    if ('code' in spent) throw new Error('refused');
    await spent.store.settle(spent.reservation!, 10, 900);
    // The request from before the reload ends: settled against the window it was admitted in.
    await inflight.store.settle(inflight.reservation!, 10, 100);
    // The new window still holds its $0.0009: another $0.0009 is refused (it replaced the new window's meter with one
    // of the old length, then the next admission replaced that: the spend was erased, and $0.0009 more admitted).
    expect(await after.l.admit(after.tenant, 'm', 10, 'lease-3', 'req-3', 900)).toMatchObject({ type: 'budget' });
    expect('code' in (await after.l.admit(after.tenant, 'm', 10, 'lease-4', 'req-4', 100))).toBe(false);
    await before.l.close();
    await after.l.close();
  });
});

describe('two reloads that change a budget’s per and change it back', () => {
  it('give the request admitted before them no refund from the window made after it (review of the day’s fixes)', async () => {
    const first = await limiter('{ usd: 0.001, per: 24h }');
    // A long answer in flight across both reloads, admitted under the first day's window with $0.0009 reserved.
    const inflight = await first.l.admit(first.tenant, 'm', 10, 'lease-1', 'req-1', 900);
    if ('code' in inflight) throw new Error('refused');
    // A reload to 48h (its first admission replaces the window), then back to 24h: a fresh day's window.
    const second = await limiter('{ usd: 0.001, per: 48h }', first.l);
    const between = await second.l.admit(second.tenant, 'm', 10, 'lease-2', 'req-2', 1);
    if ('code' in between) throw new Error('refused');
    const third = await limiter('{ usd: 0.001, per: 24h }', second.l);
    // $0.0009 of the fresh window's $0.001, spent.
    const spent = await third.l.admit(third.tenant, 'm', 10, 'lease-3', 'req-3', 900);
    if ('code' in spent) throw new Error('refused');
    await spent.store.settle(spent.reservation!, 10, 900);
    // The request from before the reloads ends, costing $0.0001 of its $0.0009: its refund belongs to the window it
    // reserved in (gone), not to the fresh one that never held it — there it erased $0.0008 of the spend since.
    await inflight.store.settle(inflight.reservation!, 10, 100);
    expect(await third.l.admit(third.tenant, 'm', 10, 'lease-4', 'req-4', 900)).toMatchObject({ type: 'budget' });
    await first.l.close();
    await second.l.close();
    await third.l.close();
  });
});
