/**
 * A key names one tenant, however the profile writes it: a plain key in one tenant and its `sha256:` digest in
 * another (a migration to digests half done), or one digest in upper and lower case, are the same key — the
 * directory keys both by the digest, so the later tenant took the key over in silence and the first tenant's
 * clients were served and charged (limits, budget, allow-list) as the second.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { sha256Hex } from '../../../src/core/key-digest.js';
import { TenantDirectory } from '../../../src/tenants/keys.js';

const KEY = 'sk-tenant-a-0123456789';
const DIGEST = sha256Hex(KEY);

const text = (b: string) => `version: 1
backends:
  b: { url: "http://127.0.0.1:8001" }
models:
  m: { targets: [{ backend: b }] }
tenants:
  a: { keys: ["\${A_KEY}"], limits: { rpm: 1 } }
  b: { keys: ["${b}"] }
`;

const problems = (profile: string) => {
  const r = parseProfile(profile, 'p.yaml', { A_KEY: KEY });
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
};

describe('a key written twice in two forms', () => {
  for (const [name, b] of [
    ['its plain form in one tenant, its digest in another', `sha256:${DIGEST}`],
    ['its digest in upper case', `sha256:${DIGEST.toUpperCase()}`],
  ] as const) {
    it(`is refused: ${name}`, () => {
      expect(problems(text(b))).toEqual([expect.stringMatching(/^tenants\.b\.keys\[0\]: this key is also a key of tenant "a"/)]);
    });
  }

  it('two digests of one key differing only in case are refused', () => {
    const profile = text(`sha256:${DIGEST.toUpperCase()}`).replace('["${A_KEY}"]', `["sha256:${DIGEST}"]`);
    expect(problems(profile)).toEqual([expect.stringMatching(/^tenants\.b\.keys\[0\]: this key is also a key of tenant "a"/)]);
  });

  it('distinct keys, plain and digest, still load — and each names its own tenant', () => {
    const other = sha256Hex('sk-tenant-b-9876543210');
    const r = parseProfile(text(`sha256:${other}`), 'p.yaml', { A_KEY: KEY });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const dir = new TenantDirectory(r.profile);
    const who = (key: string) => {
      const t = dir.authenticate(['authorization', `Bearer ${key}`]);
      return 'code' in t ? t.code : t.name;
    };
    expect(who(KEY)).toBe('a');
    expect(who('sk-tenant-b-9876543210')).toBe('b');
  });
});
