/**
 * A Redis whose answers come about as slowly as `limits.store.timeout` — loaded, or far away — fails one admission
 * and answers the next. The limiter said every such turn: an 'unavailable' line and a 'recovered' line on stderr, and a
 * `limits_store` event each, per pair of requests, at the clients' request rate (20 lines for 20 requests here). It
 * says the outage once, and the recovery once the store has answered steadily.
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import type { GatewayEvent } from '../../../src/events/types.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';
import { respServer, scriptedStoreProfile } from '../../helpers/redis.js';
import { ADMIT } from '../../../src/tenants/limits/redis-scripts.js';

const ADMIT_SHA = createHash('sha1').update(ADMIT).digest('hex');

/** One spec's admission, as ADMIT answers it: ok, bucket, time, then tokens, requests, leases and budget. */
const ADMITTED = `*10\r\n$2\r\nok\r\n:1\r\n:1\r\n:0\r\n:0\r\n:1\r\n:1000\r\n:0\r\n$1\r\n0\r\n:0\r\n`;

/** A Redis that answers every other admission with an error (as one past its timeout half the time) until `steady`. */
function flappingRedis(): { server: Server; steady(): void } {
  let admissions = 0;
  let flapping = true;
  const server = respServer(([name, script]) => {
    if (name === 'INFO') return '$11\r\nloading:0\r\n\r\n';
    // ioredis sends a script's text the first time on a connection (EVAL), then its digest (EVALSHA).
    if ((name === 'EVALSHA' && script === ADMIT_SHA) || (name === 'EVAL' && script === ADMIT))
      return flapping && admissions++ % 2 === 0 ? '-ERR overloaded\r\n' : ADMITTED;
    if (name === 'EVALSHA' || name === 'EVAL') return ':1\r\n';
    return '+OK\r\n';
  });
  return { server, steady: () => (flapping = false) };
}

const servers: Server[] = [];
const opened: Limiter[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const l of opened.splice(0)) await l.close();
  for (const s of servers.splice(0)) s.close();
});

describe('a rate-limit store that fails every other admission', () => {
  it('is said unavailable once, not at each turn, and recovered once it answers steadily', async () => {
    const { server, steady } = flappingRedis();
    servers.push(server);
    const profile = await scriptedStoreProfile(server);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const bus = new EventBus();
    const events: GatewayEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const limiter = await Limiter.create(profile, bus);
    opened.push(limiter);
    const t = new TenantDirectory(profile).tenants.get('t')!;
    for (let i = 0; i < 20; i++) {
      // Served either way: from Redis, or degraded (fail open) from memory.
      expect(await limiter.admit(t, 'm', 1, `flap-${i}`, 'r')).toMatchObject({ headers: { 'x-ratelimit-limit-requests': '1000' } });
    }
    const said = () => stderr.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('rate-limit store'));
    expect(said()).toHaveLength(1);
    expect(said()[0]).toMatch(/unavailable \(.*overloaded\); failing open/);
    expect(events.filter((e) => e.type === 'limits_store')).toHaveLength(1);
    // Answering every admission now: the recovery is said once it has lasted, and once.
    steady();
    const until = performance.now() + 3000;
    for (let i = 0; performance.now() < until && said().length < 2; i++) {
      await limiter.admit(t, 'm', 1, `steady-${i}`, 'r');
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(said()).toHaveLength(2);
    expect(said()[1]).toMatch(/recovered/);
    expect(events.filter((e) => e.type === 'limits_store').map((e) => (e as { ok: boolean }).ok)).toEqual([false, true]);
  });
});
