/**
 * The direct baseline (`overhead.*`, `stream.addedTtft`) sends the scenario's load straight to the model's first backend
 * as the profile names it — with no key and on OpenAI's chat path. To a backend the gateway reaches with credentials (a
 * provider's API: `apiKey`, auth `headers`) or in another API (`kind: anthropic`), that was a --duration of closed-loop
 * requests it refuses (401/404) — load on a third party's service that the run was never asked to send, for a ratio of
 * nothing. Such a backend is not loaded now, and the line says why.
 */
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../../src/profile/schema.js';
import { streamScenario } from '../../../src/bench/stream.js';
import { throughput } from '../../../src/bench/throughput.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

const answer = JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] });

async function setup(backend: Record<string, unknown>) {
  const gateway = await useUpstream((_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
  // The provider: it refuses what comes without its key.
  const provider = await useUpstream((_q, res) =>
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"no key","code":"invalid_api_key"}}'),
  );
  const profile = {
    models: { m: { targets: [{ backend: 'p', model: 'gpt-x', weight: 1 }] } },
    backends: { p: { url: provider.url, kind: 'openai', ...backend } },
  } as unknown as Profile;
  const ctx = benchContext({ url: gateway.url, mocks: {}, backends: { p: provider.url } }, { profile, durationMs: 200, connections: 2 });
  return { ctx, provider };
}

describe('the direct baseline', () => {
  it.each([
    ['an apiKey', { apiKey: 'sk-provider' }],
    ['auth headers', { headers: { 'x-api-key': 'sk-provider' } }],
    ['another API (kind: anthropic)', { kind: 'anthropic' }],
  ])('sends nothing straight to a backend with %s', async (_name, backend) => {
    const { ctx, provider } = await setup(backend);
    const t = await throughput(ctx);
    expect(provider.seen).toHaveLength(0);
    expect(t.figures['overhead.ratio']).toBeUndefined();
    expect(t.lines.join('\n')).toMatch(/direct baseline skipped: /);
    const s = await streamScenario(ctx);
    expect(provider.seen).toHaveLength(0);
    expect(s.figures['stream.addedTtft']).toBeUndefined();
  });

  it('still loads a backend reached without credentials (a vLLM server)', async () => {
    const { ctx, provider } = await setup({});
    await throughput(ctx);
    expect(provider.seen.length).toBeGreaterThan(0);
  });
});
