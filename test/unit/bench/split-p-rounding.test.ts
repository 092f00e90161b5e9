/**
 * `split.p` was rounded to 4 places, and a p-value just under 1 % rounded onto it: 47 answers split 37/10 against a
 * 90/10 weighting have p = 0.00997 — the split line said "does NOT match the weights at 1%" — while the figure read
 * 0.01 and `--assert split.p>=0.01`, the README's gate for a canary's weights, passed.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, parseAssertion } from '../../../src/bench/assertions.js';
import { split } from '../../../src/bench/split.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

describe('split.p near the 1 % verdict', () => {
  it('is not rounded onto 0.01 from below', async () => {
    const up = await useUpstream((_q, res, _body, n) => {
      // 47 answers, 37 from a and 10 from b; every later request refused (split counts 200s only).
      if (n > 47) return res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"busy","code":"busy"}}');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ system_fingerprint: n <= 37 ? 'a' : 'b', choices: [{ message: { content: 'ok' } }] }));
    });
    const r = await split(benchContext({ url: up.url, mocks: {} }, { expect: { a: 90, b: 10 }, durationMs: 1500, connections: 4 }));
    expect(r.figures['split.requests']).toBe(47);
    expect(r.lines.join('\n')).toMatch(/does NOT match/);
    expect(r.figures['split.p']).toBeLessThan(0.01);
    const gate = parseAssertion('split.p>=0.01');
    if (!gate.ok) throw new Error(gate.message);
    expect(evaluate(gate.value, r.figures).ok).toBe(false);
  });
});
