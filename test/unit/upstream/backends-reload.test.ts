/**
 * What a backend keeps across a reload: an unchanged pool; and, while its URL is the same, its connection slots
 * and its health — also when new timeouts or a new connection count need a new pool.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import type { Profile } from '../../../src/profile/schema.js';
import { BackendRegistry } from '../../../src/upstream/backends.js';
import { ConnectionSlots } from '../../../src/upstream/slots.js';

const profile = (o: { url?: string; idle?: string; connections?: number; failures?: number }): Profile => {
  const r = parseProfile(
    `
version: 1
timeouts: { idle: ${o.idle ?? '10s'} }
resilience: { consecutiveFailures: ${o.failures ?? 1} }
backends:
  v: { url: ${o.url ?? 'http://127.0.0.1:9'}, pool: { connections: ${o.connections ?? 2} } }
models:
  m: { targets: [{ backend: v }] }
`,
    'backends.yaml',
    {},
  );
  if (!r.ok) throw new Error('profile');
  return r.profile;
};

describe('a backend across reloads', () => {
  it.each([
    ['a new idle timeout', { idle: '11s' }],
    ['a new connection count', { connections: 3 }],
    ['a new outlier policy', { failures: 5 }],
  ])('%s: keeps slots in use and an ejection', async (_name, change) => {
    const registry = new BackendRegistry();
    const before = registry.update(profile({})).get('v')!;
    expect(before.slots.acquire()).toBe(0);
    expect(before.health.failure(Date.now())).toBeGreaterThan(0);
    const after = registry.update(profile(change)).get('v')!;
    expect(after.slots).toBe(before.slots);
    expect(after.slots.inUse).toBe(1);
    expect(after.health.ejected).toBe(true);
    await registry.close();
  });

  it('a new URL is another server: fresh slots and health', async () => {
    const registry = new BackendRegistry();
    const before = registry.update(profile({})).get('v')!;
    before.slots.acquire();
    before.health.failure(Date.now());
    const after = registry.update(profile({ url: 'http://127.0.0.1:10' })).get('v')!;
    expect(after.slots.inUse).toBe(0);
    expect(after.health.ejected).toBe(false);
    await registry.close();
  });
});

describe('connection slots whose count a reload changes', () => {
  it('a larger count admits waiters at once; a smaller one admits nobody until enough slots are released', async () => {
    const slots = new ConnectionSlots({ connections: 1, queue: 10, queueTimeoutMs: 60_000 });
    expect(slots.acquire()).toBe(0);
    const waiting = slots.acquire();
    expect(await Promise.race([waiting, Promise.resolve('still waiting')])).toBe('still waiting');
    slots.update({ connections: 2, queue: 10, queueTimeoutMs: 60_000 });
    expect(typeof (await waiting)).toBe('number');
    expect(slots.inUse).toBe(2);

    slots.update({ connections: 1, queue: 10, queueTimeoutMs: 60_000 });
    const third = slots.acquire();
    slots.release(); // 1 in use: at the new count, so the waiter still waits
    expect(await Promise.race([third, Promise.resolve('still waiting')])).toBe('still waiting');
    expect(slots.inUse).toBe(1);
    slots.release();
    expect(typeof (await third)).toBe('number');
    expect(slots.inUse).toBe(1);
  });
});
