/**
 * `limits.store.timeout` as Node's timers can keep it: ioredis arms its command timer and the connection's idle timer
 * with the value as given, and Node fires a delay past 2^31 − 1 ms (~24.8 days) after 1 ms. A long timeout made every
 * command time out at once: the store was never connected or read, and every request was served degraded (limit ÷
 * replicas per replica) or, with onError: closed, refused 503. A timeout of 0 did the same, and is a profile problem.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import type { GatewayEvent } from '../../../src/events/types.js';
import { parseProfile } from '../../../src/profile/load.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';
import { redisAvailable, useRedis } from '../../helpers/redis.js';

const redis = redisAvailable ? await useRedis() : undefined;
if (!redis) it.skip('redis-server is not installed here: the Redis store is not tested', () => {});

const profileText = (timeout: string, onError = 'closed') => `version: 1
limits: { store: { redis: "${redis?.url ?? 'redis://127.0.0.1:1'}", timeout: ${timeout}, prefix: to-${timeout}, onError: ${onError} } }
backends: { b: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: b }] } }
tenants:
  t: { keys: [k1], limits: { rpm: 100 } }
`;

const opened: Limiter[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const l of opened.splice(0)) await l.close();
});

describe.skipIf(!redis)('a Redis store timeout past what a Node timer holds', () => {
  it.each(['597h', '6000h'])('still waits for Redis (timeout: %s): its requests are decided there, not refused', async (timeout) => {
    const r = parseProfile(profileText(timeout), 'p.yaml', {});
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // Node says TimeoutOverflowWarning for such a timer: not what this test reads.
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const bus = new EventBus();
    const events: GatewayEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const limiter = await Limiter.create(r.profile, bus);
    opened.push(limiter);
    const t = new TenantDirectory(r.profile).tenants.get('t')!;
    for (let i = 0; i < 3; i++) {
      const a = await limiter.admit(t, 'm', 1, `lease-${timeout}-${i}`, 'r');
      expect(a).toMatchObject({ headers: { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': String(99 - i) } });
    }
    expect(events.filter((e) => e.type === 'limits_store')).toEqual([]);
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).not.toMatch(/unavailable/);
  });
});

describe('a Redis store timeout of 0', () => {
  it('is a profile problem naming it (every command timed out at once)', () => {
    const r = parseProfile(profileText('0s'), 'p.yaml', {});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n')).toMatch(/limits\.store\.timeout/);
  });
});
