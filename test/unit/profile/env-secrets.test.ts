/**
 * Trust class 9 on the profile side: a value from the environment stays a string even when all digits, and
 * no problem message ever prints a value that came from the environment.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';

const base = (extra: string) => `
version: 1
backends:
  a: { url: http://127.0.0.1:8001, apiKey: "\${KEY}" }
models:
  m: { targets: [{ backend: a, weight: "\${WEIGHT:-1}" }] }
${extra}`;

describe('values from the environment', () => {
  it('keeps an all-digit key a string, and still reads numbers from the environment where numbers go', () => {
    const r = parseProfile(base(''), 'p.yaml', { KEY: '1234567890', WEIGHT: '3' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.profile.backends.a!.apiKey).toBe('1234567890');
    expect(r.profile.models.m!.targets[0]!.weight).toBe(3);
  });

  it.each([
    [
      'a secret where a number goes',
      'tenants:\n  t: { keys: [k], limits: { tpm: "${SECRET_TPM}" } }',
      { SECRET_TPM: 'sk-live-secret-value' },
    ],
    ['a secret where a duration goes', 'timeouts: { connect: "${SECRET_TIMEOUT}" }', { SECRET_TIMEOUT: 'sk-live-other-secret' }],
    ['a secret where a URL goes', 'limits: { store: { redis: "${SECRET_URL}" } }', { SECRET_URL: 'sk-live-third-secret' }],
  ])('never prints %s', (_name, extra, env) => {
    const r = parseProfile(base(extra), 'p.yaml', { KEY: 'k', ...env });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.map(formatProblem).join('\n');
    for (const v of Object.values(env)) expect(text).not.toContain(v);
  });
});

describe('no part of a value from the environment is printed', () => {
  const SPOTS = [
    ['a duration', (v: string) => `timeouts: { connect: "${v}" }`],
    ['a number', (v: string) => `tenants:\n  t: { keys: [k], limits: { tpm: "${v}" } }`],
    ['a URL', (v: string) => `limits: { store: { redis: "${v}" } }`],
    ['an enum', (v: string) => `limits: { onOverflow: "${v}" }`],
  ] as const;

  it('whatever the value holds (quotes, backslashes, controls, 1 character) and whatever text surrounds it', () => {
    const secret = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('a', 'b', '"', '\\', '\n', 'é', '7', ' ') });
    fc.assert(
      fc.property(fc.constantFrom(...SPOTS), secret, fc.constantFrom('', 'x', 'ms', 'zz-'), ([, spot], value, around) => {
        const r = parseProfile(base(spot(`\${SECRET}${around}`)), 'p.yaml', { KEY: 'sk-key-value', SECRET: value });
        if (r.ok) return;
        const text = r.problems.map(formatProblem).join('\n');
        const full = `${value}${around}`;
        // Quoted, as a message would show it; as written and as JSON escapes it inside a longer string, once
        // it is long enough not to be any word's letters.
        expect(text).not.toContain(JSON.stringify(full));
        if (full.length >= 4) {
          expect(text).not.toContain(full);
          expect(text).not.toContain(JSON.stringify(full).slice(1, -1));
        }
      }),
    );
  });

  it('a value that begins another is not replaced inside it (which showed the rest of the longer one)', () => {
    // SHORT is read first: replaced first, it cut LONG's value in two.
    const text = `observe: { tracing: { otlp: "\${SHORT}" } }\ntimeouts: { connect: "\${LONG}" }`;
    const r = parseProfile(base(text), 'p.yaml', { KEY: 'sk-key-value', SHORT: 'hunter', LONG: 'hunter2-TOPSECRET-tail' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const out = r.problems.map(formatProblem).join('\n');
    expect(out).not.toContain('TOPSECRET');
    expect(out).not.toContain('hunter');
  });
});

describe('a value from the environment where a name goes', () => {
  it("is named, never quoted, not even cut as long names are (100 of a key's 108 characters were shown)", () => {
    const key = `sk-ant-api03-${'Tq9'.repeat(32)}`;
    for (const [where, spot] of [
      ['a target', (v: string) => `models:\n  m: { targets: [{ backend: "${v}" }] }`],
      ['a fallback', (v: string) => `models:\n  m: { targets: [{ backend: a }], fallbacks: ["${v}"] }`],
    ] as const) {
      const text = `version: 1\nbackends:\n  a: { url: http://127.0.0.1:8001 }\n${spot('${ROUTE_SECRET}')}\n`;
      const r = parseProfile(text, 'p.yaml', { ROUTE_SECRET: key });
      expect(r.ok, where).toBe(false);
      if (r.ok) continue;
      const out = r.problems.map(formatProblem).join('\n');
      expect(out, where).toContain('(a value from the environment)');
      expect(out, where).not.toContain('Tq9Tq9');
    }
  });
});

describe('defaults', () => {
  it('refuses a variable inside a default (it was kept as the literal text "${FALLBACK_KEY}" and sent as a key)', () => {
    const text = `version: 1\nbackends:\n  a: { url: http://127.0.0.1:8001, apiKey: "\${PRIMARY_KEY:-\${FALLBACK_KEY}}" }\nmodels:\n  m: { targets: [{ backend: a }] }\n`;
    const r = parseProfile(text, 'p.yaml', { FALLBACK_KEY: 'sk-fallback-secret' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem)).toEqual([
      'p.yaml:3:44: error: backends.a.apiKey: the default of ${PRIMARY_KEY:-…} cannot hold another ${…}: nested variables are not expanded',
    ]);
    // A plain default still works.
    const plain = parseProfile(text.replace('${FALLBACK_KEY}', 'sk-default'), 'p.yaml', {});
    expect(plain.ok && plain.profile.backends.a!.apiKey).toBe('sk-default');
  });
});

describe('a tenant key no request can send', () => {
  it.each([
    ['a trailing newline', 'sk-live-x\n'],
    ['a space inside', 'sk live secret'],
    ['a control character', 'sk-live\u0007secret'],
    ['a character beyond ASCII', 'sk-live-sécret'],
  ])('is a problem at the tenant and key index when it holds %s, the key never printed', (_name, key) => {
    const r = parseProfile(base('tenants:\n  t1: { keys: [ok-key, "${K1}"] }'), 'p.yaml', { KEY: 'k', K1: key });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.map(formatProblem).join('\n');
    expect(text).toContain('tenants.t1.keys[1]');
    expect(text).toMatch(/no request can send it/);
    expect(text).not.toContain(key.trim());
  });

  it('is no problem for a key of visible ASCII', () => {
    expect(parseProfile(base('tenants:\n  t1: { keys: ["${K1}"] }'), 'p.yaml', { KEY: 'k', K1: 'sk-live_A.b~9+/=' }).ok).toBe(true);
  });
});

describe('no value written where credentials go is printed, from the environment or not', () => {
  it.each([
    [
      "a tenant's key as a string where a list goes",
      'tenants:\n  t: { keys: "sk-live-tenant-key-abcdef" }',
      'sk-live-tenant-key-abcdef',
      true,
    ],
    [
      "tracing's headers as a string",
      'observe: { tracing: { otlp: "http://127.0.0.1:4318", headers: "sk-live-header-secret" } }',
      'sk-live-header-secret',
      true,
    ],
    ['the admin key as a list', 'admin: { key: ["sk-live-admin-secret"] }', 'sk-live-admin-secret', false],
    ['a Redis URL that is not one', 'limits: { store: { redis: "hunter2-redis-password" } }', 'hunter2-redis-password', false],
    ["a tenant's key written as digits", 'tenants:\n  t: { keys: [84629517390123] }', '84629517390123', false],
    ['the admin key written as digits', 'admin: { key: 84629517390124 }', '84629517390124', false],
  ])('never prints %s', (_name, extra, secret, named) => {
    const r = parseProfile(base(extra), 'p.yaml', { KEY: 'k' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.map(formatProblem).join('\n');
    expect(text).not.toContain(secret);
    if (named) expect(text).toMatch(/got a string \(not shown: it may be a secret\)/);
  });

  it('a backend URL that does not parse is shown without the password it may hold', () => {
    const yaml = `version: 1
backends:
  a: { url: "https://user:SECRETPW99@host:99999999" }
models:
  m: { targets: [{ backend: a }] }
`;
    const r = parseProfile(yaml, 'p.yaml', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.map(formatProblem).join('\n');
    expect(text).toContain('backends.a.url');
    expect(text).not.toContain('SECRETPW99');
  });

  it('a backend URL that does not parse is shown without its query (a key in ?api-key=), its fragment or a password with ? in it', () => {
    for (const url of [
      'https://host:99999999/openai?api-version=1&api-key=SECRETQ99',
      'https://host:99999999/#SECRETQ99',
      'https://user:pw?SECRETQ99@host:99999999/x',
      'https://u:SECRETQ99@host:99999999/?a=b@c',
    ]) {
      const yaml = `version: 1\nbackends:\n  a: { url: "${url}" }\nmodels:\n  m: { targets: [{ backend: a }] }\n`;
      const r = parseProfile(yaml, 'p.yaml', {});
      expect(r.ok).toBe(false);
      if (r.ok) return;
      const text = r.problems.map(formatProblem).join('\n');
      expect(text).toContain('backends.a.url');
      expect(text).toContain('host:99999999');
      expect(text).not.toContain('SECRETQ99');
    }
  });

  it('still shows what is no secret: a mistyped enum, and the TLS key file it cannot read', () => {
    const r = parseProfile(base('limits: { responseBuffer: { mode: "bufferd" } }'), 'p.yaml', { KEY: 'k' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem).join('\n')).toContain('"bufferd"');
    const t = parseProfile(base('tls: { cert: /nonexistent/cert.pem, key: /nonexistent/key.pem }'), 'p.yaml', { KEY: 'k' });
    expect(t.ok).toBe(false);
    if (t.ok) return;
    expect(t.problems.map(formatProblem).join('\n')).toContain('/nonexistent/key.pem');
  });
});
