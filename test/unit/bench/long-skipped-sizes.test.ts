/**
 * `long` leaves out a size whose answer would take over a quarter of a token limit the target announced: the sizes that
 * catch a buffer (1 MiB is Envoy's default) are the large ones. With none truncated among the sizes sent, it reported
 * `long.truncations` 0 and `--assert truncations==0` passed a run that never sent the sizes it is about. A size not
 * measured is not proven: 0 truncations stands only when every size was measured.
 */
import { describe, expect, it } from 'vitest';
import { long } from '../../../src/bench/long.js';
import { Pacer } from '../../../src/bench/pacer.js';
import { evaluate, parseAssertion } from '../../../src/bench/assertions.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useMock } from '../../helpers/mocks.js';

/** A pacer that has learnt a budget of `limit` tokens per (1 s) window. */
function pacerWithLimit(limit: number): Pacer {
  const p = new Pacer(1000, () => {});
  p.observe({ status: 200, limits: { 'x-ratelimit-limit-tokens': String(limit), 'x-ratelimit-remaining-tokens': String(limit) } });
  return p;
}

describe('long under a token limit that leaves its large sizes out', () => {
  it('does not read 0 truncations when a size was not sent', async () => {
    const mock = await useMock({ name: 'long', kind: 'vllm' });
    const ctx = benchContext({ url: mock.url, mocks: {} }, { longSizes: [64 * 1024, 1024 * 1024], pacer: pacerWithLimit(200_000) });
    const r = await long(ctx);
    // The small size was measured, whole; the 1 MiB one (~230,000 tokens) was not sent.
    expect(r.lines.join('\n')).toMatch(/64KiB body\s+complete/);
    expect(r.lines.join('\n')).toMatch(/1MiB body\s+not sent: ~\d+ tokens, over a quarter/);
    expect(r.figures['long.skipped']).toBe(2);
    expect(r.figures['long.truncations']).toBeNull();
    const a = parseAssertion('truncations==0');
    if (!a.ok) throw new Error(a.message);
    expect(evaluate(a.value, r.figures).ok).toBe(false);
    expect(r.lines[0]).toContain('2 not measured');
  });

  it('still counts the truncations it saw among the sizes it sent', async () => {
    const mock = await useMock({ name: 'long', kind: 'vllm' });
    const ctx = benchContext({ url: mock.url, mocks: {} }, { longSizes: [64 * 1024], pacer: pacerWithLimit(200_000) });
    const r = await long(ctx);
    expect(r.figures).toMatchObject({ 'long.truncations': 0, 'long.skipped': 0, 'long.cases': 2 });
  });
});
