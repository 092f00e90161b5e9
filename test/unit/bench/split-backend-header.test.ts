/**
 * `split` through aigw to a backend whose answers carry no `system_fingerprint` — an Anthropic backend's Message, which
 * aigw translates for an OpenAI client, has none; nor has a vLLM server's — where the gateway names the answering backend
 * in `x-aigw-backend`: every such answer was counted `unknown`, a right 50/50 split read "does NOT match" (p = 0).
 */
import { describe, expect, it } from 'vitest';
import { split } from '../../../src/bench/split.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

describe('split reads the backend a gateway names in x-aigw-backend', () => {
  it('counts answers without a fingerprint under the backend the header names', async () => {
    const up = await useUpstream((_q, res, _body, n) => {
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-aigw-backend': n % 2 ? 'a' : 'b' })
        .end(JSON.stringify({ choices: [{ message: { content: 'ok' } }], usage: { completion_tokens: 1 } }));
    });
    const r = await split(benchContext({ url: up.url, mocks: {} }, { expect: { a: 50, b: 50 }, durationMs: 500, connections: 1 }));
    expect(Number(r.figures['split.requests'])).toBeGreaterThanOrEqual(2);
    expect(r.figures['split.unknown']).toBeUndefined();
    expect(Number(r.figures['split.a'])).toBeGreaterThan(40);
    expect(Number(r.figures['split.p'])).toBeGreaterThan(0.01);
  });

  it("takes the gateway's header over a backend's own fingerprint (a real OpenAI backend's fp_…)", async () => {
    const up = await useUpstream((_q, res, _body, n) => {
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-aigw-backend': n % 2 ? 'a' : 'b' })
        .end(JSON.stringify({ system_fingerprint: 'fp_44709d6fcb', choices: [{ message: { content: 'ok' } }] }));
    });
    const r = await split(benchContext({ url: up.url, mocks: {} }, { expect: { a: 50, b: 50 }, durationMs: 500, connections: 1 }));
    expect(r.figures['split.fp_44709d6fcb']).toBeUndefined();
    expect(Number(r.figures['split.p'])).toBeGreaterThan(0.01);
  });
});
