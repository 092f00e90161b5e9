/** Shared limits across gateway replicas through a real redis-server (reliability.md cases 21, 32). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { eventually, gatewayFor, type TestGateway } from '../helpers/gateway.js';
import { inParallel } from '../helpers/load.js';
import { rawPost } from '../helpers/raw.js';
import { redisAvailable, useRedis } from '../helpers/redis.js';

const redis = redisAvailable ? await useRedis() : undefined;

const profile = (extra: string, limits: string, prefix: string) => `
version: 1
limits:
  store: { redis: "${redis?.url}", timeout: 100ms, prefix: ${prefix}${extra} }
${limits}
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
tenants:
  t: { keys: [k], limits: { rpm: 100, tpm: 3000 } }
`;
/**
 * For the tests of exact sharing: a store timeout no busy CI machine reaches, so a slow Redis reply never turns
 * into failing open (each replica then admits on its own, and the shared count is not what is measured).
 */
const patient = (text: string) => text.replace('timeout: 100ms', 'timeout: 2s');
const chat = (base: string, extra: object = {}) =>
  rawPost(
    `${base}/v1/chat/completions`,
    { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 100, ...extra },
    { headers: { authorization: 'Bearer k' } },
  );

describe.skipIf(!redis)('limits shared through Redis', () => {
  it('admits exactly 100 of 1000 simultaneous requests across 3 replicas under 100 RPM (case 32)', async () => {
    const replicas: TestGateway[] = [];
    for (let i = 0; i < 3; i++) replicas.push(await gatewayFor(patient(profile('', '', 'c32'))));
    try {
      const rs = await inParallel(1000, 150, (i) => chat(replicas[i % 3]!.url, { max_tokens: 1 }));
      expect(rs.filter((r) => r.status === 200)).toHaveLength(100);
      expect(rs.filter((r) => r.status === 429)).toHaveLength(900);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  }, 30_000);

  it("two real gateway processes admit together no more than the TPM (+ one request's estimate) per window", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-redis-'));
    const file = join(dir, 'p.yaml');
    const text = patient(profile('', '  rateWindow: 1s', 'two'))
      .replace('limits:\n', 'listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\nlimits:\n')
      .replace('rpm: 100, tpm: 3000', 'rpm: 100000, tpm: 3000');
    writeFileSync(file, text);
    const a = await startAigw(['serve', '-c', file, '--mocks', '--log', 'off'], 3);
    const b = await startAigw(['serve', '-c', file, '--mocks', '--log', 'off'], 3);
    const start = Date.now();
    const admitted: [number, number][] = [];
    await Promise.all(
      [a, b].flatMap((g) =>
        Array.from({ length: 6 }, async () => {
          while (Date.now() - start < 3000) {
            const sent = Date.now() - start;
            const r = await chat(g.urls.gateway!);
            if (r.status === 200) admitted.push([sent, JSON.parse(r.body.toString()).usage.total_tokens]);
            else await new Promise((res) => setTimeout(res, 5));
          }
        }),
      ),
    );
    const estimate = Math.ceil(200 / 3) + 100;
    for (let w = 0; w < 3; w++) {
      const sum = admitted.filter(([t]) => t >= w * 1000 && t < (w + 1) * 1000).reduce((s, [, n]) => s + n, 0);
      expect(sum, `window ${w}`).toBeLessThanOrEqual(3000 + estimate);
      if (w > 0) expect(sum, `window ${w}`).toBeGreaterThan(3000 * 0.75);
    }
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  }, 30_000);

  it('fails open when Redis stalls: served, counted locally at limit ÷ replicas, within the Redis timeout (case 21)', async () => {
    const gw = await gatewayFor(profile(', replicas: 2', '', 'open'));
    const admin = new Redis(redis!.url);
    try {
      expect((await chat(gw.url)).status).toBe(200);
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const t0 = performance.now();
      const r = await chat(gw.url);
      const ms = performance.now() - t0;
      expect(r.status).toBe(200);
      expect(ms).toBeLessThan(100 + 150);
      expect(r.headers['x-ratelimit-limit-requests']).toBe('50');
      await eventually(() => gw.eventsOf('limits_store').some((e) => !e.ok));
      const rs = await inParallel(80, 10, () => chat(gw.url, { max_tokens: 1 }));
      // Degraded: this replica admits its share (100 ÷ 2 = 50 RPM), never the full limit.
      expect(rs.filter((x) => x.status === 200).length).toBeLessThanOrEqual(50);
    } finally {
      admin.disconnect();
      await gw.close();
    }
  }, 20_000);

  it('fails closed on request: 503 rate_limit_store_unavailable while Redis stalls', async () => {
    const gw = await gatewayFor(profile(', onError: closed', '', 'closed'));
    const admin = new Redis(redis!.url);
    try {
      expect((await chat(gw.url)).status).toBe(200);
      await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
      const r = await chat(gw.url);
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body.toString()).error.code).toBe('rate_limit_store_unavailable');
      await new Promise((res) => setTimeout(res, 1100));
      await eventually(async () => (await chat(gw.url)).status === 200);
    } finally {
      admin.disconnect();
      await gw.close();
    }
  }, 20_000);

  it('leaves no lease and no charge behind for a request refused while Redis stalled past its timeout (case 21)', async () => {
    const text = profile(', onError: closed', '', 'ghost').replace('{ rpm: 100, tpm: 3000 }', '{ concurrency: 1, tpm: 3000 }');
    const gw = await gatewayFor(text);
    const admin = new Redis(redis!.url);
    try {
      await admin.call('CLIENT', 'PAUSE', '600', 'ALL');
      expect((await chat(gw.url, { max_tokens: 2000 })).status).toBe(503);
      await new Promise((r) => setTimeout(r, 1200));
      // The admission Redis ran once it woke took the only slot and 2000 tokens for 30 s, unless it was undone.
      const next = await chat(gw.url, { max_tokens: 2000 });
      expect(next.status, next.body.toString()).toBe(200);
      expect(await admin.zcard('ghost:{t}:t:conc')).toBe(0);
    } finally {
      admin.disconnect();
      await gw.close();
    }
  }, 20_000);

  it('frees the concurrency lease of a client that left while Redis was still deciding its admission', async () => {
    // The store stalls for less than its timeout: the admission waits for it rather than failing open.
    const text = patient(profile('', '', 'lease')).replace('{ rpm: 100, tpm: 3000 }', '{ concurrency: 1 }');
    const gw = await gatewayFor(text);
    const admin = new Redis(redis!.url);
    try {
      expect((await chat(gw.url)).status).toBe(200);
      await admin.call('CLIENT', 'PAUSE', '600', 'ALL');
      // A client asks while the store is stalled, and leaves before its admission is decided.
      const gone = request(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      });
      gone.on('error', () => {});
      gone.end(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }));
      await new Promise((r) => setTimeout(r, 200));
      gone.destroy();
      // The store answers once the pause ends; the lease it granted must be freed, not renewed forever.
      await new Promise((r) => setTimeout(r, 900));
      const next = await chat(gw.url);
      expect(next.status, next.body.toString()).toBe(200);
    } finally {
      admin.disconnect();
      await gw.close();
    }
  }, 20_000);
});
