/**
 * `split` with backends whose names pass 64 characters (Kubernetes names, as an imported Envoy AI Gateway config writes
 * them: `namespace/backend-…`): every name the target gave was cut to 64 printable characters before it was counted, so
 * no answer counted under the name its weight is under — each backend read 0 % and a stranger of weight 0 100 %, p = 0,
 * "does NOT match" for a right split. A name the weights know is counted whole; any other is still cut to print.
 */
import { describe, expect, it } from 'vitest';
import { split } from '../../../src/bench/split.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

const a = `production-inference/llama-3-70b-instruct-stable-vllm-backend-us-east-1a`;
const b = `production-inference/llama-3-70b-instruct-canary-vllm-backend-us-east-1a`;

describe('split with backend names past 64 characters', () => {
  it.each([
    ['system_fingerprint', (name: string) => [{}, { system_fingerprint: name }] as const],
    ['x-aigw-backend', (name: string) => [{ 'x-aigw-backend': name }, {}] as const],
  ])('counts each answer under its whole name, read from %s', async (_how, named) => {
    expect(a.length).toBeGreaterThan(64);
    const up = await useUpstream((_q, res, _body, n) => {
      const [headers, body] = named(n % 2 ? a : b);
      res
        .writeHead(200, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify({ ...body, choices: [{ message: { content: 'ok' } }] }));
    });
    const r = await split(benchContext({ url: up.url, mocks: {} }, { expect: { [a]: 50, [b]: 50 }, durationMs: 500, connections: 1 }));
    expect(Number(r.figures['split.requests'])).toBeGreaterThanOrEqual(2);
    expect(Number(r.figures[`split.${a}`])).toBeGreaterThan(40);
    expect(Number(r.figures['split.p'])).toBeGreaterThan(0.01);
  });
});
