import { describe, expect, it } from 'vitest';
import { costMicroUsd } from '../../../src/events/cost.js';

describe('what an answer cost, in micro-dollars', () => {
  const prices = { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 };
  it.each([
    ['uncached input and output', 100, 0, 10, 0, 100 * 3 + 10 * 15],
    ['cache reads at cachedInput, writes at cacheWrite, the rest at input', 100, 40, 10, 20, 40 * 3 + 40 * 0.3 + 20 * 3.75 + 10 * 15],
    ['reads and writes beyond the prompt count only up to it (reads first)', 100, 90, 0, 50, 90 * 0.3 + 10 * 3.75],
    ['negative reads and writes count as none', 100, -5, 0, -5, 100 * 3],
  ])('%s', (_name, input, cached, output, written, want) => {
    expect(costMicroUsd(prices, input, cached, output, written)).toBeCloseTo(want, 9);
  });

  it('without cacheWrite or cachedInput, the cache is priced at input', () => {
    expect(costMicroUsd({ input: 2, output: 1 }, 100, 30, 5, 20)).toBe(100 * 2 + 5);
  });
});
