/**
 * A refusal before admission carries its tenant's x-ratelimit-* headers, read from the shared store (trust 177) — once
 * for the refusals of a second, not once each (diff review): refusals count against no limit, so a tenant allowed 10
 * rpm made the gateway run one Redis script per refused request, as fast as it sent them (400 pipelined 404s, 400
 * scripts), on the connection every tenant's admissions share — one slower than store.timeout says the store down.
 */
import { Agent, request } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { gatewayFor, type TestGateway } from '../helpers/gateway.js';
import { redisAvailable, useRedis } from '../helpers/redis.js';

const redis = redisAvailable ? await useRedis() : undefined;

const get = (base: string, agent: Agent) =>
  new Promise<{ status: number; limit?: string }>((resolve, reject) => {
    const req = request(`${base}/v1/models/nope`, { agent, headers: { authorization: 'Bearer k' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, limit: res.headers['x-ratelimit-limit-requests'] as string }));
    });
    req.on('error', reject);
    req.end();
  });

async function scriptCalls(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let n = 0;
  for (const m of info.matchAll(/cmdstat_(evalsha|eval):calls=(\d+)/g)) n += Number(m[2]);
  return n;
}

describe.skipIf(!redis)('a flood of refused requests', () => {
  let gw: TestGateway | undefined;
  afterAll(() => gw?.close());
  it('does not turn each refusal into a Redis command', async () => {
    gw = await gatewayFor(`
version: 1
limits: { store: { redis: "${redis!.url}", timeout: 2s, prefix: flood } }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k], limits: { rpm: 10 } }
`);
    const admin = new Redis(redis!.url);
    try {
      await admin.config('RESETSTAT');
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      const N = 400;
      const rs = await Promise.all(Array.from({ length: N }, () => get(gw!.url, agent)));
      agent.destroy();
      expect(rs.every((r) => r.status === 404)).toBe(true);
      const calls = await scriptCalls(admin);
      // One read a second at most (PEEK_REUSE_MS): 400 before. The refusals still say the limit (those a read answered
      // in time: a store slower than the refusal's wait leaves a second's refusals without it).
      expect(calls).toBeLessThan(N / 10);
      expect(rs.filter((r) => r.limit === '10').length).toBeGreaterThan(0);
    } finally {
      admin.disconnect();
    }
  }, 60_000);
});
