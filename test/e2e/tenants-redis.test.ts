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
 * A store timeout no busy CI machine reaches, so a slow Redis reply never turns into failing open or closed: for
 * the tests of exact sharing (each replica would admit on its own, and the shared count is not what is measured),
 * and for the requests that must be served by a healthy store (with 100 ms, one slow reply answered 503).
 */
const patient = (text: string) => text.replace('timeout: 100ms', 'timeout: 2s');
/**
 * Stops redis-server (SIGSTOP) until the returned function resumes it: a stall that lasts as long as the test
 * needs, where a CLIENT PAUSE of a fixed length could end early on a busy machine (and CLIENT UNPAUSE waits out a
 * PAUSE ALL). It resumes by itself after `ms`, so a gateway that waits for Redis is answered late, not never.
 */
function stallRedis(ms = 10_000): () => void {
  const pid = redis!.child.pid!;
  process.kill(pid, 'SIGSTOP');
  let stopped = true;
  const resume = () => {
    if (!stopped) return;
    stopped = false;
    clearTimeout(timer);
    process.kill(pid, 'SIGCONT');
  };
  const timer = setTimeout(resume, ms);
  return resume;
}
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
    // [sent, answered, tokens]: the store admitted each between the first two.
    const admitted: [number, number, number][] = [];
    await Promise.all(
      [a, b].flatMap((g) =>
        Array.from({ length: 6 }, async () => {
          while (Date.now() - start < 3000) {
            const sent = Date.now() - start;
            const r = await chat(g.urls.gateway!);
            if (r.status === 200) admitted.push([sent, Date.now() - start, JSON.parse(r.body.toString()).usage.total_tokens]);
            else await new Promise((res) => setTimeout(res, 5));
          }
        }),
      ),
    );
    const tokens = (within: (sent: number, answered: number) => boolean) =>
      admitted.filter(([sent, answered]) => within(sent, answered)).reduce((s, [, , n]) => s + n, 0);
    const estimate = Math.ceil(200 / 3) + 100;
    // Any 900 ms lie within one window (the store counts whole buckets of 1/60 window, so admissions a bucket less
    // than a window apart may not): admitted within them for certain — sent and answered in them — no more than
    // the TPM, wherever they start. A fixed window, or replicas counting apart, let two windows' worth in.
    for (let from = 0; from + 900 <= 3000; from += 50) {
      expect(
        tokens((sent, answered) => sent >= from && answered < from + 900),
        `${from}–${from + 900} ms`,
      ).toBeLessThanOrEqual(3000 + estimate);
    }
    // Driven from 0 ms, the replicas fill the window at once, and again each time that burst leaves it: bursts at
    // about 0, 1 and 2 s. The windows judged here start half a window after one, so a burst a loaded machine
    // delays by a few hundred ms is still counted whole in one window, never half in two. (Counted from 0 ms, the
    // requests sent before a boundary and admitted after it went to the window before.)
    for (const from of [500, 1500]) {
      // Driven above the limit, the window is used nearly to the full: a replica that kept half the TPM for
      // itself, or a store that lost count of refunds, falls below.
      expect(
        tokens((sent) => sent >= from && sent < from + 1000),
        `${from}–${from + 1000} ms`,
      ).toBeGreaterThan(3000 * 0.75);
    }
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  }, 30_000);

  it('fails open when Redis stalls: served, counted locally at limit ÷ replicas, within the Redis timeout (case 21)', async () => {
    const gw = await gatewayFor(profile(', replicas: 2', '', 'open'));
    let resume = () => {};
    try {
      expect((await chat(gw.url)).status).toBe(200);
      // Stalled for the whole test (10 s at most): a gateway that waited for Redis would answer after it.
      resume = stallRedis(10_000);
      const t0 = performance.now();
      const r = await chat(gw.url);
      const ms = performance.now() - t0;
      expect(r.status).toBe(200);
      // The 100 ms timeout, then served: a tenth of the 10 s a gateway without fail-open waits, and ten times the
      // timeout, which a stall of a few hundred ms on a busy machine does not reach.
      expect(ms).toBeLessThan(1000);
      expect(r.headers['x-ratelimit-limit-requests']).toBe('50');
      await eventually(() => gw.eventsOf('limits_store').some((e) => !e.ok));
      const rs = await inParallel(80, 10, () => chat(gw.url, { max_tokens: 1 }));
      // Degraded: this replica admits its share (100 ÷ 2 = 50 RPM), never the full limit.
      expect(rs.filter((x) => x.status === 200).length).toBeLessThanOrEqual(50);
    } finally {
      resume();
      await gw.close();
    }
  }, 20_000);

  it('fails closed on request: 503 rate_limit_store_unavailable while Redis stalls', async () => {
    // Patient (2 s): the first request, on a healthy store, is served however slowly a busy machine lets Redis answer.
    const gw = await gatewayFor(patient(profile(', onError: closed', '', 'closed')));
    let resume = () => {};
    try {
      expect((await chat(gw.url)).status).toBe(200);
      // Stalled past the timeout, for as long as it takes: refused, not served and not waited for.
      resume = stallRedis();
      const r = await chat(gw.url);
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body.toString()).error.code).toBe('rate_limit_store_unavailable');
      resume();
      await eventually(async () => (await chat(gw.url)).status === 200);
    } finally {
      resume();
      await gw.close();
    }
  }, 20_000);

  it('leaves no lease and no charge behind for a request refused while Redis stalled past its timeout (case 21)', async () => {
    // Patient (2 s): the request after the stall is served by a healthy store however slowly Redis answers it.
    const text = patient(profile(', onError: closed', '', 'ghost')).replace('{ rpm: 100, tpm: 3000 }', '{ concurrency: 1, tpm: 3000 }');
    const gw = await gatewayFor(text);
    const admin = new Redis(redis!.url);
    let resume = () => {};
    try {
      resume = stallRedis();
      expect((await chat(gw.url, { max_tokens: 2000 })).status).toBe(503);
      // Redis wakes and runs the admission that waited in its socket, then the cancellation written behind it.
      resume();
      // The admission Redis ran once it woke took the only slot and 2000 tokens for 30 s, unless it was undone.
      const next = await chat(gw.url, { max_tokens: 2000 });
      expect(next.status, next.body.toString()).toBe(200);
      expect(await admin.zcard('ghost:{t}:t:conc')).toBe(0);
    } finally {
      resume();
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
