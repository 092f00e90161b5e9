/** Open-loop arrivals: gamma gaps with mean 1/rate and coefficient of variation 1/sqrt(burstiness), seeded. */
import { describe, expect, it } from 'vitest';
import { arrivalGaps, gamma } from '../../../src/bench/arrivals.js';
import { Rng } from '../../../src/core/hash.js';

const moments = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, cv: Math.sqrt(variance) / mean };
};

describe('arrivals', () => {
  it.each([
    ['Poisson (burstiness 1)', 1],
    ['bursty (0.5)', 0.5],
    ['steady (4)', 4],
  ])('%s: mean gap 1/rate, spread 1/sqrt(k)', (_name, k) => {
    const next = arrivalGaps(20, k, 3);
    const { mean, cv } = moments(Array.from({ length: 40_000 }, next));
    expect(mean).toBeGreaterThan(50 * 0.97);
    expect(mean).toBeLessThan(50 * 1.03);
    expect(cv).toBeGreaterThan((1 / Math.sqrt(k)) * 0.95);
    expect(cv).toBeLessThan((1 / Math.sqrt(k)) * 1.05);
  });

  it('is the same schedule for the same seed, and never negative', () => {
    const a = arrivalGaps(10, 1, 9);
    const b = arrivalGaps(10, 1, 9);
    for (let i = 0; i < 100; i++) expect(a()).toBe(b());
    const rng = new Rng(1);
    for (let i = 0; i < 10_000; i++) expect(gamma(rng, 0.2)).toBeGreaterThanOrEqual(0);
  });
});
