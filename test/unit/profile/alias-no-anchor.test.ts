/**
 * An alias that names no anchor (CLI review): `key: *adminkey` with the anchor misspelt, or written in another file,
 * was read as null — "expected a string, got null (an empty value)" at a value that was not empty. It is said as
 * what it is now, at the alias.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';

const text = `version: 1
backends:
  a: { url: "http://127.0.0.1:8001", apiKey: &upkey sk-1 }
models:
  m: { targets: [{ backend: a }] }
admin: { key: *upkye }
`;

describe('an alias of no anchor', () => {
  it('is a problem at the alias naming it', () => {
    const r = parseProfile(text, 'p.yaml', {});
    expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([
      'p.yaml:6:15: error: alias *upkye names no anchor: write &upkye on a value before it',
    ]);
  });

  it('an alias of an anchor still reads its value', () => {
    const r = parseProfile(text.replace('*upkye', '*upkey'), 'p.yaml', {});
    expect(r.ok && r.profile.admin.key).toBe('sk-1');
  });
});
