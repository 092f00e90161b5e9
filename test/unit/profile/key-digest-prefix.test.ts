/**
 * A tenant key written as a digest with its prefix in another case (`SHA256:<hex>`, `Sha256:`): the directory reads a
 * digest only after a lower-case `sha256:`, so such a key was a plain key whose text is the digest — the real key got
 * 401, and the digest itself, the one form of a key meant to be safe to show (committed with the profile), was a
 * credential anyone who saw it could send. Refused where it is written.
 */
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/core/key-digest.js';
import { parseProfile } from '../../../src/profile/load.js';

const KEY = 'sk-tenant-a-0123456789';
const DIGEST = sha256Hex(KEY);

const text = (key: string) => `version: 1
backends:
  b: { url: "http://127.0.0.1:8001" }
models:
  m: { targets: [{ backend: b }] }
tenants:
  a: { keys: ["${key}"] }
`;

const problems = (profile: string) => {
  const r = parseProfile(profile, 'p.yaml', {});
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
};

describe('a key digest whose prefix is not written sha256:', () => {
  for (const prefix of ['SHA256:', 'Sha256:', 'sHa256:']) {
    it(`is refused: ${prefix}<hex>`, () => {
      expect(problems(text(`${prefix}${DIGEST}`))).toEqual([
        expect.stringMatching(/^tenants\.a\.keys\[0\]: .*write the prefix sha256: in lower case/),
      ]);
      expect(problems(text(`${prefix}${DIGEST.toUpperCase()}`))).toHaveLength(1);
    });
  }

  it('a lower-case prefix over hex of either case still loads', () => {
    expect(problems(text(`sha256:${DIGEST}`))).toEqual([]);
    expect(problems(text(`sha256:${DIGEST.toUpperCase()}`))).toEqual([]);
  });

  it('a plain key that merely starts with those letters, not a digest, still loads', () => {
    expect(problems(text('SHA256:not-a-digest-0123'))).toEqual([]);
  });
});
