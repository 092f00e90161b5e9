/**
 * `split` against a target that sends a few answers to a backend the weights do not have (weight 0, or not named at
 * all): the chi-square fails however few they are — they were left out of its sum, and `split.p>=0.01` passed.
 */
import { describe, expect, it } from 'vitest';
import { split } from '../../../src/bench/split.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

describe('split with answers from a backend no weight expects', () => {
  it('fails the chi-square: one answer in 50 from backend c against an expected a=50,b=50', async () => {
    const up = await useUpstream((_q, res, _body, n) => {
      // The third answer and every 50th: at least one however slow the run, and 2 % of a long one.
      const backend = n === 3 || n % 50 === 0 ? 'c' : n % 2 ? 'a' : 'b';
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ system_fingerprint: backend, choices: [{ message: { content: 'ok' } }], usage: { completion_tokens: 1 } }));
    });
    const r = await split(benchContext({ url: up.url, mocks: {} }, { expect: { a: 50, b: 50 }, durationMs: 2000, connections: 2 }));
    // However few: a loaded machine may answer only a handful in the window, and the third is always c's (or unnamed).
    expect(Number(r.figures['split.requests'])).toBeGreaterThanOrEqual(3);
    expect(Number(r.figures['split.c'])).toBeGreaterThan(0);
    expect(r.figures['split.p']).toBe(0);
    expect(r.lines.join('\n')).toContain('does NOT match');
  });

  it('still weighs one answer in 50 that names no backend against the fit, not as a backend of weight 0', async () => {
    const up = await useUpstream((_q, res, _body, n) => {
      const named = n === 3 || n % 50 === 0 ? {} : { system_fingerprint: n % 2 ? 'a' : 'b' };
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ...named, choices: [{ message: { content: 'ok' } }], usage: { completion_tokens: 1 } }));
    });
    const r = await split(benchContext({ url: up.url, mocks: {} }, { expect: { a: 50, b: 50 }, durationMs: 2000, connections: 2 }));
    expect(Number(r.figures['split.requests'])).toBeGreaterThanOrEqual(3);
    expect(Number(r.figures['split.unknown'])).toBeGreaterThan(0);
    expect(Number(r.figures['split.p'])).toBeGreaterThan(0.01);
  });
});
