/**
 * A size is read in time linear in its text. The size pattern had a `\s*` on both sides of its optional unit, so a
 * value of spaces that is no size (`1`, 200,000 spaces, `x`) was tried at every split of the spaces between the two:
 * 15 s of CPU for one 200 KB value in a profile, at validate, at a start and at every reload (the reload thread busy,
 * each reload after it waiting), growing with the square of the spaces.
 */
import { describe, expect, it } from 'vitest';
import { parseSize } from '../../../src/core/units.js';
import { parseProfile } from '../../../src/profile/load.js';

const text = (size: string) => `version: 1
limits:
  maxRequestBytes: "${size}"
backends:
  a: { url: http://127.0.0.1:8001 }
models:
  m: { targets: [{ backend: a }] }`;

describe('a size padded with spaces', () => {
  it('that is no size is refused at once (100,000 spaces: ~4 s before)', () => {
    const started = performance.now();
    const r = parseProfile(text(`1${' '.repeat(100_000)}x`), 'p.yaml', {});
    const ms = performance.now() - started;
    expect(r.ok ? [] : r.problems.map((p) => p.path)).toEqual(['limits.maxRequestBytes']);
    expect(ms).toBeLessThan(400);
  });

  it('reads as before where it is one', () => {
    expect(parseSize(' 8 Mi ')).toBe(8 * 1024 ** 2);
    expect(parseSize('\t64Ki')).toBe(64 * 1024);
    expect(parseSize(`${' '.repeat(1000)}512${' '.repeat(1000)}`)).toBe(512);
    expect(parseSize('1.5 KB')).toBe(1500);
    expect(parseSize('10 x')).toBeUndefined();
    expect(parseSize('')).toBeUndefined();
  });
});
