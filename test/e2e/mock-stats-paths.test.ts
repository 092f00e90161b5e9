/**
 * /mock/stats counts requests by the mock's own endpoints, on real sockets: a path the mock has no route for
 * (a 404, chosen by the client) is counted in one `(unrouted)` bucket, not as a key of its own, so distinct
 * paths cannot grow the mock's memory or its stats body.
 */
import { describe, expect, it } from 'vitest';
import { UNROUTED } from '../../src/mock/stats.js';
import { chat, postJson, useMock } from '../helpers/mocks.js';

const N = 2000;
const PAD = 'p'.repeat(1000);
const vllm = await useMock({ name: 'paths', kind: 'vllm' });
const azure = await useMock({ name: 'az', kind: 'azure-openai', models: ['listed'], apiKey: 'k' });

interface Stats {
  requests: Record<string, number>;
}
const statsOf = async (url: string) => {
  const res = await fetch(`${url}/mock/stats`);
  const text = await res.text();
  return { bytes: text.length, stats: JSON.parse(text) as Stats };
};

/** `N` GETs of distinct ~1 KB paths, 50 at a time. */
async function distinctPaths(url: string): Promise<void> {
  for (let i = 0; i < N; i += 50) {
    const batch = Array.from({ length: 50 }, (_, j) => fetch(`${url}/${PAD}${i + j}`).then((r) => r.status));
    expect(new Set(await Promise.all(batch))).toEqual(new Set([404]));
  }
}

describe('/mock/stats request counts', () => {
  it('counts 2,000 distinct unrouted paths in one bucket: the stats body stays under 2 KiB (2 MB with a key each)', async () => {
    const before = await statsOf(vllm.url);
    await distinctPaths(vllm.url);
    await fetch(`${vllm.url}/constructor`);
    await fetch(`${vllm.url}/health`);
    await fetch(`${vllm.url}/v1/chat/completions`); // a known path with the wrong method: 405, counted under it
    await postJson(`${vllm.url}/v1/chat/completions`, chat('hi'));
    const after = await statsOf(vllm.url);
    expect(after.bytes).toBeLessThan(before.bytes + 2048);
    expect(after.stats.requests[UNROUTED]).toBe(N + 1);
    expect(after.stats.requests['/health']).toBe(1);
    expect(after.stats.requests['/v1/chat/completions']).toBe(2);
    expect(Object.keys(after.stats.requests).sort()).toEqual([UNROUTED, '/health', '/mock/stats', '/v1/chat/completions'].sort());
  });

  it("Azure: a listed deployment's path is its own key, any other deployment one key per operation", async () => {
    const body = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 };
    const call = (deployment: string) =>
      postJson(`${azure.url}/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`, body, { 'api-key': 'k' });
    expect((await call('listed')).status).toBe(200);
    for (let i = 0; i < 20; i++) expect((await call(`other-${PAD}-${i}`)).status).toBe(404);
    await fetch(`${azure.url}/nowhere`);
    const { stats } = await statsOf(azure.url);
    expect(stats.requests).toMatchObject({
      '/openai/deployments/listed/chat/completions': 1,
      '/openai/deployments/{deployment}/chat/completions': 20,
      [UNROUTED]: 1,
    });
    expect(Object.keys(stats.requests)).toHaveLength(4);
  });
});
