/**
 * The registry's own arithmetic (observe/prometheus.ts), held to the plainest reading of Prometheus's exposition
 * format: each series found again by its label values whatever came between (the last one found is remembered),
 * and a histogram's buckets cumulative, `+Inf` the count — NaN in no finite bucket.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Counter, Histogram } from '../../../src/observe/prometheus.js';

const BUCKETS = [0.5, 1, 2.5, 10];
const label = fc.constantFrom('a', 'b', 'unknown', '');
const value = fc.oneof(fc.double({ min: -5, max: 20, noNaN: true }), fc.constantFrom(0.5, 1, 10, Number.NaN, Number.POSITIVE_INFINITY));

/** The exposition a plain map of label tuples to observations gives. */
function reference(observations: [string, string, number][]): Map<string, { le: number[]; count: number }> {
  const out = new Map<string, { le: number[]; count: number }>();
  for (const [a, b, v] of observations) {
    const key = `${a}|${b}`;
    const s = out.get(key) ?? { le: BUCKETS.map(() => 0), count: 0 };
    BUCKETS.forEach((edge, i) => {
      if (v <= edge) s.le[i]!++;
    });
    s.count++;
    out.set(key, s);
  }
  return out;
}

describe('prometheus registry', () => {
  it('a histogram renders what a plain count of each series gives, in any order of label sets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(label, label, value), { maxLength: 60 }), (obs) => {
        const h = new Histogram('h', 'help', ['x', 'y'], BUCKETS);
        for (const [a, b, v] of obs) h.observe([a, b], v);
        const text = h.render();
        for (const [key, s] of reference(obs)) {
          const [a, b] = key.split('|');
          const labels = [a ? `x="${a}"` : '', b ? `y="${b}"` : ''].filter(Boolean);
          const at = (le: string) => `h_bucket{${[...labels, `le="${le}"`].join(',')}} `;
          for (const [i, edge] of BUCKETS.entries()) expect(text).toContain(`${at(String(edge))}${s.le[i]}\n`);
          expect(text).toContain(`${at('+Inf')}${s.count}\n`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a counter adds to the series its labels name, and a reset forgets the one it found last', () => {
    const c = new Counter('c', 'help', ['m']);
    c.inc(['a']);
    c.inc(['b'], 2);
    c.inc(['a']);
    expect(c.render()).toContain('c{m="a"} 2\n');
    expect(c.render()).toContain('c{m="b"} 2\n');
    c.reset();
    c.inc(['a']);
    expect(c.render()).toContain('c{m="a"} 1\n');
    expect(c.render()).not.toContain('m="b"');
  });

  it('a counter without labels reads 0 before its first count, and after a reset', () => {
    // As Prometheus's own clients expose one: without the sample, rate() over it says "no data" instead of 0.
    const c = new Counter('drops_total', 'help', []);
    expect(c.render()).toContain('\ndrops_total 0\n');
    c.inc([], 3);
    expect(c.render()).toContain('\ndrops_total 3\n');
    c.reset();
    expect(c.render()).toContain('\ndrops_total 0\n');
  });
});
