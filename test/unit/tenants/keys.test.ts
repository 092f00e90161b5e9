/**
 * API keys → tenants, without sockets: which headers carry a key, what is refused as ambiguous, and that a
 * key which keeps coming back is hashed once (remembered, bounded, oldest out) while a wrong key never is
 * remembered and always gets its 401 with a fingerprint, never the key.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const hashed = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    hash: (...args: Parameters<typeof real.hash>) => {
      hashed.count++;
      return real.hash(...args);
    },
  };
});

const { parseProfile } = await import('../../../src/profile/load.js');
const { TenantDirectory, bearerToken, fingerprint } = await import('../../../src/tenants/keys.js');

function directory(keys: string[]) {
  const r = parseProfile(
    `version: 1
backends: { a: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: a }] } }
tenants: { acme: { keys: ${JSON.stringify(keys)} }, beta: { keys: [beta-key] } }
`,
    'p.yaml',
    {},
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  return new TenantDirectory(r.profile);
}

const bearer = (k: string) => ['Authorization', `Bearer ${k}`];
const nameOf = (t: unknown) => (t as { name?: string }).name;
const codeOf = (t: unknown) => (t as { code?: string }).code;

describe('which key a request carries', () => {
  const d = directory(['acme-key']);
  it.each([
    ['Authorization: Bearer', ['authorization', 'Bearer acme-key'], 'acme'],
    ['api-key (Azure clients)', ['api-key', 'acme-key'], 'acme'],
    ['x-api-key (Anthropic clients)', ['X-Api-Key', ' beta-key '], 'beta'],
    ['the same key in two headers', ['authorization', 'Bearer acme-key', 'x-api-key', 'acme-key'], 'acme'],
  ])('%s', (_name, headers, tenant) => {
    expect(nameOf(d.authenticate(headers))).toBe(tenant);
  });
  it.each([
    ['no key', ['accept', '*/*']],
    ['two different keys', ['authorization', 'Bearer acme-key', 'x-api-key', 'beta-key']],
    ['a key header sent twice', ['x-api-key', 'acme-key', 'x-api-key', 'acme-key']],
    ['a scheme other than Bearer', ['authorization', 'Basic YWNtZS1rZXk=']],
    // Nine letters, as x-api-key: it looked up Object.prototype among the key headers and was taken for one (and,
    // no credential header by name, went on to the backend with the key in it).
    ['a key in a header named __proto__', ['__proto__', 'acme-key']],
    ['a key in a header named constructor', ['constructor', 'acme-key']],
  ])('%s is a 401', (_name, headers) => {
    expect(codeOf(d.authenticate(headers))).toBe('invalid_api_key');
  });
});

describe('a key that keeps coming back', () => {
  beforeEach(() => {
    hashed.count = 0;
  });

  it('is hashed once, then answered from memory with the same tenant', () => {
    const d = directory(['acme-key']);
    hashed.count = 0;
    for (let i = 0; i < 100; i++) expect(nameOf(d.authenticate(bearer('acme-key')))).toBe('acme');
    expect(hashed.count).toBe(1);
  });

  it('a wrong key is never remembered: every attempt is hashed and refused with a fingerprint, not the key', () => {
    const d = directory(['acme-key']);
    hashed.count = 0;
    for (let i = 0; i < 5; i++) {
      const r = d.authenticate(bearer('acme-kez')) as { code?: string; message: string };
      expect(r.code).toBe('invalid_api_key');
      expect(r.message).toContain(fingerprint('acme-kez'));
      expect(r.message).not.toContain('acme-kez');
    }
    // Each refusal hashes for the lookup and again for the fingerprint; the fingerprint call above adds its own.
    expect(hashed.count).toBeGreaterThanOrEqual(10);
  });

  it('memory is bounded: past 1,024 keys the oldest is forgotten (hashed again), the newest is not', () => {
    const keys = Array.from({ length: 1025 }, (_, i) => `key-${i}`);
    const d = directory(keys);
    for (const k of keys) expect(nameOf(d.authenticate(bearer(k)))).toBe('acme');
    hashed.count = 0;
    expect(nameOf(d.authenticate(bearer('key-1024')))).toBe('acme');
    expect(hashed.count).toBe(0);
    expect(nameOf(d.authenticate(bearer('key-0')))).toBe('acme');
    expect(hashed.count).toBe(1);
  });

  it('a very long key still authenticates, hashed each time rather than kept', () => {
    const long = 'k'.repeat(4096);
    const d = directory([long]);
    hashed.count = 0;
    for (let i = 0; i < 3; i++) expect(nameOf(d.authenticate(bearer(long)))).toBe('acme');
    expect(hashed.count).toBe(3);
  });

  it('a key given as its sha256 digest in the profile is remembered like a plain one', async () => {
    const { sha256Hex } = await import('../../../src/core/key-digest.js');
    const d = directory([`sha256:${sha256Hex('secret-key').toUpperCase()}`]);
    hashed.count = 0;
    expect(nameOf(d.authenticate(bearer('secret-key')))).toBe('acme');
    expect(nameOf(d.authenticate(bearer('secret-key')))).toBe('acme');
    expect(hashed.count).toBe(1);
  });
});

describe('the Authorization header, read without a regular expression (differential)', () => {
  // The oracle: how the key was read before, a match array per request.
  const oracle = (v: string) => /^Bearer +(\S+)$/i.exec(v)?.[1];
  const piece = fc.oneof(
    fc.constantFrom('Bearer', 'bearer', 'BEARER', 'BeArEr', 'Bearer ', 'Basic ', 'Bearerx', 'Bear', 'Beare\u0280'),
    fc.constantFrom(' ', '  ', '\t', '\u00a0', '\u2028', '\ufeff', '\u200b', '\r\n'),
    fc.constantFrom('sk-live-0123456789', 'k', 'ſk', '='),
    fc.string({ maxLength: 4 }),
  );
  it('gives the same token, or none, for any value (5,000 values)', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), (pieces) => {
        const v = pieces.join('');
        expect(bearerToken(v)).toBe(oracle(v));
      }),
      { numRuns: 5000 },
    );
  });
});
