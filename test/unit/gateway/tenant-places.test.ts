/** A tenant's places in flight: held to its concurrency, freed once each however often the free is called. */
import { beforeEach, describe, expect, it } from 'vitest';
import { takePlace as takePlaceIn, type TenantPlaces } from '../../../src/gateway/tenant-places.js';
import type { Tenant } from '../../../src/tenants/keys.js';

const tenant = (concurrency: number | undefined) =>
  ({
    name: 't',
    config: { keys: [], limits: concurrency === undefined ? undefined : { concurrency } },
    allowed: undefined,
  }) as unknown as Tenant;

/** One gateway's count, fresh for each case. */
const places: TenantPlaces = new Map();
const takePlace = (t: Tenant | undefined) => takePlaceIn(t, places);

describe('takePlace', () => {
  beforeEach(() => places.clear());

  it('counts nothing without a tenant-wide concurrency limit', () => {
    expect(takePlace(undefined)).toBeUndefined();
    expect(takePlace(tenant(undefined))).toBeUndefined();
  });

  it('refuses past the limit, and a free called twice frees one place (never below zero)', () => {
    const t = tenant(2);
    const a = takePlace(t) as () => void;
    const b = takePlace(t) as () => void;
    expect(takePlace(t)).toMatchObject({ code: 'rate_limit_exceeded', type: 'concurrency', headers: { 'retry-after': '1' } });
    a();
    a();
    const c = takePlace(t);
    expect(typeof c).toBe('function');
    expect(takePlace(t)).toHaveProperty('code');
    b();
    (c as () => void)();
    // Both free again: two places, not three.
    expect(typeof takePlace(t)).toBe('function');
    expect(typeof takePlace(t)).toBe('function');
    expect(takePlace(t)).toHaveProperty('code');
  });

  it('says a limit of 0 never admits: no retry', () => {
    expect(takePlace(tenant(0))).toMatchObject({ code: 'rate_limit_exceeded', headers: { 'x-should-retry': 'false' } });
  });

  it("shares the count among a JWT caller's narrowed copies of one tenant (keyed by its name)", () => {
    const t = tenant(1);
    const free = takePlace({ ...t, allowed: new Set(['m']) }) as () => void;
    expect(takePlace({ ...t })).toHaveProperty('code');
    free();
  });

  it('keeps the count of a tenant whose configuration a reload made anew (the name is the same)', () => {
    const before = tenant(1);
    const free = takePlace(before) as () => void;
    expect(takePlace(tenant(1))).toHaveProperty('code');
    free();
    expect(typeof takePlace(tenant(1))).toBe('function');
  });
});
