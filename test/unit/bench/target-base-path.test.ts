/**
 * A target whose OpenAI-compatible base URL has a path (`https://host/api/v1`, read as `https://host/api`): the load
 * scenarios send under it, as the single requests do, rather than failing on undici's Pool (which takes an origin).
 */
import { describe, expect, it } from 'vitest';
import { runLoad, splitBaseUrl } from '../../../src/bench/driver.js';
import { throughput } from '../../../src/bench/throughput.js';
import { prepared } from '../../../src/bench/workload.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

const answer = JSON.stringify({ choices: [{ message: { content: 'ok' } }], usage: { prompt_tokens: 1, completion_tokens: 1 } });

describe('a target with a path in its base URL', () => {
  it('is split into the origin and the path the requests go under', () => {
    expect(splitBaseUrl('http://127.0.0.1:9/api')).toEqual({ origin: 'http://127.0.0.1:9', basePath: '/api' });
    expect(splitBaseUrl('http://127.0.0.1:9/a/b/')).toEqual({ origin: 'http://127.0.0.1:9', basePath: '/a/b' });
    expect(splitBaseUrl('http://127.0.0.1:9')).toEqual({ origin: 'http://127.0.0.1:9', basePath: '' });
  });

  it('gets the load under that path, as the single requests get it', async () => {
    const up = await useUpstream((_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
    let given = 0;
    const once = { next: () => (given++ ? undefined : prepared({ model: 'm', messages: [{ role: 'user', content: 'x' }] })) };
    const r = await runLoad({
      url: `${up.url}/api`,
      headers: {},
      source: once,
      stream: false,
      durationMs: 60_000,
      connections: 1,
      maxRequests: 1,
    });
    expect(r.records).toHaveLength(1);
    expect(r.records[0]!.ok).toBe(true);
    expect(up.seen.map((s) => s.url)).toEqual(['/api/v1/chat/completions']);
  });

  it('runs throughput to its end with figures (it threw "invalid url" out of the run)', async () => {
    const up = await useUpstream((_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
    const t = await throughput(benchContext({ url: `${up.url}/gateway/openai`, mocks: {} }, { durationMs: 200, connections: 1 }));
    expect(Number(t.figures['throughput.completed'])).toBeGreaterThan(0);
    expect(t.figures['throughput.errors']).toBe(0);
    expect(new Set(up.seen.map((s) => s.url))).toEqual(new Set(['/gateway/openai/v1/chat/completions']));
  });
});
