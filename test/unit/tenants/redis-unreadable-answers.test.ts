/**
 * A Redis (or a proxy before it) whose answer to an admission is not one the script sends: an `ok` without the limits'
 * states, a refusal whose wait is not a number. The store read it as it came: the request was admitted with
 * `x-ratelimit-remaining-requests: NaN` and `x-ratelimit-reset-requests: NaNmNaNs`, or refused with `retry-after: NaN`,
 * and its reservation held a bucket of NaN for its settlement. Such an answer is the store failing (open: served from
 * this replica's share; closed: 503), and the admission it may have made is cancelled, as one that timed out.
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { type Admission, Limiter } from '../../../src/tenants/limiter.js';
import { ADMIT, CANCEL } from '../../../src/tenants/limits/redis-scripts.js';
import { respServer, scriptedStoreProfile } from '../../helpers/redis.js';

const sha = (s: string) => createHash('sha1').update(s).digest('hex');
const [ADMIT_SHA, CANCEL_SHA] = [sha(ADMIT), sha(CANCEL)];

/** A Redis answering every admission with `answer`, counting the cancellations it is sent. */
function scriptedRedis(answer: string): { server: Server; cancels: () => number } {
  let cancels = 0;
  const server = respServer(([name, script]) => {
    if (name === 'INFO') return '$11\r\nloading:0\r\n\r\n';
    // ioredis sends a script's text the first time on a connection (EVAL), then its digest (EVALSHA).
    if ((name === 'EVALSHA' && script === ADMIT_SHA) || (name === 'EVAL' && script === ADMIT)) return answer;
    if ((name === 'EVALSHA' && script === CANCEL_SHA) || (name === 'EVAL' && script === CANCEL)) cancels++;
    if (name === 'EVALSHA' || name === 'EVAL') return ':1\r\n';
    return '+OK\r\n';
  });
  return { server, cancels: () => cancels };
}

const servers: Server[] = [];
const opened: Limiter[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const l of opened.splice(0)) await l.close();
  for (const s of servers.splice(0)) s.close();
});

async function limiterOn(answer: string) {
  const redis = scriptedRedis(answer);
  servers.push(redis.server);
  const profile = await scriptedStoreProfile(redis.server);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const limiter = await Limiter.create(profile, new EventBus());
  opened.push(limiter);
  const said = () => stderr.mock.calls.map((c) => String(c[0])).join('');
  return { limiter, tenant: new TenantDirectory(profile).tenants.get('t')!, cancels: redis.cancels, said };
}

/** Every header a limit sets, read as a client reads it: whole numbers, and resets as OpenAI writes them. */
function expectReadable(headers: Readonly<Record<string, string>> | undefined) {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.startsWith('x-ratelimit-reset-')) expect(value, name).toMatch(/^(\d+ms|\d+s|\d+m\d+s)$/);
    else if (name.startsWith('x-ratelimit-') || name.startsWith('retry-after')) expect(value, name).toMatch(/^\d+$/);
  }
}

describe('an admission answer the script never sends', () => {
  it("an 'ok' without the limits' states: the store failing, the admission cancelled", async () => {
    const { limiter, tenant, cancels, said } = await limiterOn('*3\r\n$2\r\nok\r\n$1\r\nx\r\n$1\r\ny\r\n');
    const a = (await limiter.admit(tenant, 'm', 1, 'garbled-ok', 'r')) as Admission;
    expect(a.reservation).toBeDefined();
    expect(Number.isFinite(a.reservation!.bucket)).toBe(true);
    expect(a.headers['x-ratelimit-limit-requests']).toBe('1000');
    expectReadable(a.headers);
    expect(said()).toMatch(/rate-limit store unavailable/);
    const until = performance.now() + 2000;
    while (cancels() === 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(cancels()).toBe(1);
  });

  it('a refusal whose wait and states are not numbers: the store failing, not a 429 to retry in NaN seconds', async () => {
    const states = ':0\r\n:0\r\n$1\r\nx\r\n:0\r\n:0\r\n$1\r\n0\r\n:0\r\n';
    const { limiter, tenant, said } = await limiterOn(`*10\r\n$8\r\nrequests\r\n:0\r\n$4\r\nsoon\r\n${states}`);
    const a = await limiter.admit(tenant, 'm', 1, 'garbled-refusal', 'r');
    expectReadable(a.headers);
    expect(said()).toMatch(/rate-limit store unavailable/);
  });
});
