/**
 * `split` takes the answering backend from what the gateway says (`x-aigw-backend`) only where the backend says nothing
 * the weights know: a gateway whose header named a 50/50 alternation while every answer came from backend `a` — the
 * mocks' `system_fingerprint` names the mock that generated it — read as a matching split (p ≈ 1), and
 * `--assert split.p>=0.01` passed a canary that received nothing.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, parseAssertion } from '../../../src/bench/assertions.js';
import { split } from '../../../src/bench/split.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

const gate = parseAssertion('split.p>=0.01');
if (!gate.ok) throw new Error(gate.message);

describe("split facing a gateway's header that disagrees with the backend's own word", () => {
  it("counts the backend the answer's fingerprint names when the weights know it", async () => {
    const up = await useUpstream((_q, res, _body, n) => {
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-aigw-backend': n % 2 ? 'a' : 'b' })
        .end(JSON.stringify({ system_fingerprint: 'a', choices: [{ message: { content: 'ok' } }], usage: { completion_tokens: 1 } }));
    });
    const r = await split(benchContext({ url: up.url, mocks: {} }, { expect: { a: 50, b: 50 }, durationMs: 300, connections: 1 }));
    expect(Number(r.figures['split.requests'])).toBeGreaterThanOrEqual(20);
    expect(r.figures['split.a']).toBe(100);
    expect(r.figures['split.b']).toBe(0);
    expect(evaluate(gate.value, r.figures).ok).toBe(false);
  });
});
