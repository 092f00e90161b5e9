/**
 * A long chain of fallbacks is checked for cycles without recursing down it: each model a call deeper, with a copy of
 * the chain so far, a valid profile of 10,000 models each falling back to the next (400 KB) was refused — "cannot read
 * the profile: Maximum call stack size exceeded" — at validate, a start or a reload, after 337 MB.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';

const chain = (n: number, last = '') =>
  `version: 1
backends:
  a: { url: http://127.0.0.1:8001 }
models:
${Array.from({ length: n }, (_, i) => `  m${i}: { targets: [{ backend: a }]${i + 1 < n ? `, fallbacks: [m${i + 1}]` : last} }`).join('\n')}
`;

describe('a chain of fallbacks', () => {
  it('10,000 long loads', () => {
    const r = parseProfile(chain(10_000), 'p.yaml', {});
    expect(r.ok ? [] : r.problems.map((p) => p.message)).toEqual([]);
  });

  it('closed into a cycle at its end is said once, from where it closes', () => {
    const r = parseProfile(chain(5, ', fallbacks: [m2]'), 'p.yaml', {});
    expect(r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'models.m2.fallbacks: fallback cycle: m2 → m3 → m4 → m2',
    ]);
  });
});
