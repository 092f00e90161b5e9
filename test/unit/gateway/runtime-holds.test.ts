/**
 * What runtimes share across reloads is closed by the last runtime using it: a limiter carried A → B while
 * C builds its own stays open for A's requests; a runtime retired twice lets go once.
 */
import { describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { Runtime } from '../../../src/gateway/runtime.js';
import { parseProfile } from '../../../src/profile/load.js';
import type { Profile } from '../../../src/profile/schema.js';
import { BackendRegistry } from '../../../src/upstream/backends.js';

const profile = (o: { window: string; tpm: number }): Profile => {
  const r = parseProfile(
    `
version: 1
limits: { rateWindow: ${o.window} }
backends:
  v: { url: http://127.0.0.1:9 }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k], limits: { tpm: ${o.tpm}, concurrency: 5 } }
`,
    'holds.yaml',
    {},
  );
  if (!r.ok) throw new Error('profile');
  return r.profile;
};

const setup = () => ({ registry: new BackendRegistry(), bus: new EventBus() });

describe('runtimes share their limiter by count', () => {
  it('A → B (carries the limiter) → C (a new one): B retiring closes nothing A still uses; A settling closes it', async () => {
    const { registry, bus } = setup();
    const a = await Runtime.create(profile({ window: '60s', tpm: 1000 }), registry, bus);
    const closeA = vi.spyOn(a.limiter, 'close');
    a.acquire(); // a stream in flight on A, holding a concurrency lease through A's limiter
    const b = await Runtime.create(profile({ window: '60s', tpm: 2000 }), registry, bus, a);
    expect(b.limiter).toBe(a.limiter);
    a.retire();
    const c = await Runtime.create(profile({ window: '30s', tpm: 2000 }), registry, bus, b);
    expect(c.limiter).not.toBe(b.limiter);
    b.retire(); // B never had a request: it lets go at once
    await b.close();
    expect(closeA).not.toHaveBeenCalled();
    a.release(); // A's stream settles: now nobody holds the old limiter
    await a.close();
    expect(closeA).toHaveBeenCalledTimes(1);
    await c.close();
    await registry.close();
  });

  it('a runtime retired twice lets go once: the live runtime that carried its limiter keeps it open', async () => {
    const { registry, bus } = setup();
    const r0 = await Runtime.create(profile({ window: '60s', tpm: 1000 }), registry, bus);
    const close0 = vi.spyOn(r0.limiter, 'close');
    // Two successors built from the same runtime (overlapping reloads): r1 carries its limiter, r2 does not.
    const r1 = await Runtime.create(profile({ window: '60s', tpm: 2000 }), registry, bus, r0);
    const r2 = await Runtime.create(profile({ window: '30s', tpm: 1000 }), registry, bus, r0);
    r0.retire();
    r0.retire();
    await r0.close();
    await r2.close();
    expect(close0).not.toHaveBeenCalled();
    await r1.close();
    expect(close0).toHaveBeenCalledTimes(1);
    await registry.close();
  });
});
