/**
 * `--api anthropic` against a target that checks requests as Anthropic's API does (api.anthropic.com, an
 * Anthropic-compatible gateway, aigw's own Anthropic mock): the bench sent no `anthropic-version` — @anthropic-ai/sdk
 * always sends one — and its key as a Bearer token alone, so every request of every scenario was refused 400
 * "anthropic-version: header is required" and the run reported the target failing 100 % of the requests the bench
 * itself had malformed. It now sends them as the SDK does: `x-api-key` and `anthropic-version: 2023-06-01`.
 */
import { describe, expect, it } from 'vitest';
import { chatBody, post, stream } from '../../../src/bench/client.js';
import { runLoad } from '../../../src/bench/driver.js';
import { authHeaders } from '../../../src/bench/context.js';
import { fixedSource } from '../../../src/bench/workload.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useMock } from '../../helpers/mocks.js';

describe('--api anthropic speaks to an Anthropic API as its SDK does', () => {
  it('single requests, streams and the load are answered by an Anthropic mock that checks version and key', async () => {
    const mock = await useMock({ name: 'a', kind: 'anthropic', apiKey: 'sk-ant' });
    const ctx = benchContext({ url: mock.url, mocks: {} }, { api: 'anthropic', apiKey: 'sk-ant' });
    const one = await post(ctx, chatBody(ctx, 'hello', { max_tokens: 4 }));
    expect(one.status, one.body.toString()).toBe(200);
    const s = await stream(ctx, chatBody(ctx, 'hello', { max_tokens: 4 }), { onEvent: () => {} });
    expect(s.status).toBe(200);
    const load = await runLoad({
      url: mock.url,
      api: 'anthropic',
      headers: authHeaders(ctx),
      source: fixedSource(() => chatBody(ctx, 'hi', { max_tokens: 4 })),
      stream: true,
      durationMs: 1000,
      connections: 1,
      maxRequests: 2,
    });
    expect(load.records.map((r) => `${r.status} ${r.code ?? 'ok'}`)).toEqual(['200 ok', '200 ok']);
  });

  it('keeps the Bearer key for the OpenAI API', () => {
    expect(authHeaders({ apiKey: 'k' })).toEqual({ authorization: 'Bearer k' });
  });
});
