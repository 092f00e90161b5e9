/**
 * Failing open, each replica admits its share of a limit (limit ÷ replicas) while the shared store is away. A request
 * over its share but within the limit itself waits for the store, not for ever: it was refused as one that "can never
 * admit this request", with x-should-retry: false and no retry-after — 2 rpm over 4 replicas is 0 each, and a 3,000
 * token request under 8,000 tpm over 4 replicas is over 2,000 — so clients stopped retrying requests that the limits
 * admit once Redis is back (a blip of a second). Past the limit itself, it is still never admitted.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AigwError } from '../../../src/core/errors.js';
import { EventBus } from '../../../src/events/bus.js';
import { parseProfile } from '../../../src/profile/load.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';
import { Limiter } from '../../../src/tenants/limiter.js';

/** A port nothing listens on: the store is unreachable from the start. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const opened: Limiter[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const l of opened.splice(0)) await l.close();
});

async function degradedLimiter() {
  const port = await closedPort();
  const r = parseProfile(
    `version: 1
limits: { store: { redis: "redis://127.0.0.1:${port}", timeout: 100ms, replicas: 4 } }
backends: { b: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: b }] } }
tenants:
  few: { keys: [k1], limits: { rpm: 2 } }
  big: { keys: [k2], limits: { tpm: 8000 } }
  paused: { keys: [k3], modelLimits: { m: { concurrency: 0 } } }
  both: { keys: [k4], limits: { rpm: 4, tpm: 8000 } }
`,
    'p.yaml',
    {},
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const limiter = await Limiter.create(r.profile, new EventBus());
  opened.push(limiter);
  return { limiter, tenants: new TenantDirectory(r.profile).tenants };
}

describe('a request over its replica’s share while the store is away', () => {
  it.each([
    ['rpm 2 over 4 replicas (0 each)', 'few', 1],
    ['3,000 tokens under tpm 8,000 over 4 replicas (2,000 each)', 'big', 3000],
  ])('%s: a 429 to retry, not one never to retry', async (_name, tenant, tokens) => {
    const { limiter, tenants } = await degradedLimiter();
    const a = (await limiter.admit(tenants.get(tenant)!, 'm', tokens, `share-${tenant}`, 'r')) as AigwError;
    expect(a.code).toBe('rate_limit_exceeded');
    expect(a.message).not.toMatch(/can never admit/);
    expect(a.headers?.['x-should-retry']).toBeUndefined();
    expect(Number(a.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('under a concurrency of 0, is never admitted: 0 ÷ replicas is 0, not a slot each', async () => {
    // A per-model concurrency of 0 shuts a tenant out of a model (tenant-wide, the gateway's count of its places refuses
    // first). Held to at least one slot a replica, it was served one request at a time on each while Redis was away.
    const { limiter, tenants } = await degradedLimiter();
    const a = (await limiter.admit(tenants.get('paused')!, 'm', 1, 'share-paused', 'r')) as AigwError;
    expect(a.code).toBe('rate_limit_exceeded');
    expect(a.message).toMatch(/can never admit/);
    expect(a.headers?.['x-should-retry']).toBe('false');
  });

  it('past the limit itself, is still never admitted', async () => {
    const { limiter, tenants } = await degradedLimiter();
    const a = (await limiter.admit(tenants.get('big')!, 'm', 9000, 'share-over', 'r')) as AigwError;
    expect(a.message).toMatch(/can never admit/);
    expect(a.headers?.['x-should-retry']).toBe('false');
  });

  it("waits as long as the limits of this replica's share that refuse it say, at least the store's second", async () => {
    // rpm 4 over 4 replicas is 1 each: after one request, this replica's next is a minute away. A second request of
    // 3,000 tokens is over the share of tpm (2,000) too: told the store's second, it came back to the same 429 for a
    // minute — the rpm's wait is what it has to wait.
    const { limiter, tenants } = await degradedLimiter();
    const t = tenants.get('both')!;
    expect(await limiter.admit(t, 'm', 100, 'share-both-1', 'r')).toMatchObject({ reservation: expect.anything() });
    const a = (await limiter.admit(t, 'm', 3000, 'share-both-2', 'r')) as AigwError;
    expect(a.code).toBe('rate_limit_exceeded');
    expect(a.headers?.['x-should-retry']).toBeUndefined();
    expect(Number(a.headers?.['retry-after'])).toBeGreaterThan(50);
  });
});
