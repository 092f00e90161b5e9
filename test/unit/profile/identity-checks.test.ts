/**
 * The profile's tracing, identity and TLS settings (issue 15): accepted now that the request path uses them, and
 * checked when the profile loads — TLS files readable and matching, mtls rules that parse and a CA to verify them,
 * identity header names the gateway does not own, JWT tenants to name — with relative paths made absolute.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfileFile, parseProfile } from '../../../src/profile/load.js';
import { opensslAvailable, useCerts } from '../../helpers/certs.js';

if (!opensslAvailable) console.warn('SKIPPED parts of identity-checks: no `openssl` binary to make test certificates');
const certs = opensslAvailable ? useCerts() : undefined;

const base = (extra: string, tenants = '  acme: { keys: [sk-1] }') => `version: 1
${extra}
backends:
  b: { url: "http://127.0.0.1:8001" }
models:
  m: { targets: [{ backend: b }] }
tenants:
${tenants}
`;
const problems = (text: string, file = 'p.yaml') => {
  const r = parseProfile(text, file, {});
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
};
const warnings = (text: string) => {
  const r = parseProfile(text, 'p.yaml', {});
  return r.ok ? r.warnings.map((p) => `${p.path}: ${p.message}`) : r.problems.map((p) => `${p.path}: ${p.message}`);
};

describe('identity header names', () => {
  const cases: [string, string, string[]][] = [
    ['the usual names', '{ tenantHeader: x-aigw-tenant, userHeader: x-aigw-user }', []],
    ['not a header name', '{ tenantHeader: "x tenant" }', ['backends.b.forwardIdentity.tenantHeader: expected a header name']],
    [
      'a credential header',
      '{ userHeader: Authorization }',
      ['backends.b.forwardIdentity.userHeader: authorization is set by the gateway'],
    ],
    ['trace context', '{ tenantHeader: traceparent }', ['backends.b.forwardIdentity.tenantHeader: traceparent is set by the gateway']],
    ['one name for both', '{ tenantHeader: x-id, userHeader: X-ID }', ['backends.b.forwardIdentity.userHeader: userHeader must differ']],
  ];
  for (const [name, fi, want] of cases) {
    it(name, () => {
      const got = problems(base('').replace('url: "http://127.0.0.1:8001"', `url: "http://127.0.0.1:8001", forwardIdentity: ${fi}`));
      expect(got.length).toBe(want.length);
      for (const [i, g] of got.entries()) expect(g.startsWith(want[i]!)).toBe(true);
    });
  }

  it('a name the backend also sets in headers', () => {
    const text = base('').replace(
      'url: "http://127.0.0.1:8001"',
      'url: "http://127.0.0.1:8001", headers: { X-Org: a }, forwardIdentity: { tenantHeader: x-org }',
    );
    expect(problems(text)).toEqual([
      'backends.b.forwardIdentity.tenantHeader: x-org is also in backends.b.headers: one of them would be lost',
    ]);
  });
});

describe('mtls rules and JWT tenants', () => {
  it('refuses a malformed subject and a rule without tls.clientCa', () => {
    expect(problems(base('', '  acme: { mtls: { subject: "=nope" } }'))).toEqual([
      'tenants.acme.mtls: mtls tenants need tls.clientCa (the CA whose client certificates name them)',
      'tenants.acme.mtls.subject: expected a subject such as "CN=acme-gw, O=Acme", got "=nope"',
    ]);
  });

  it('refuses auth.jwt without tenants, warns about a JWKS file it cannot read yet, bounds the refresh settings', () => {
    const jwt = (extra = '') => `auth: { jwt: { jwks: ./missing-jwks.json, issuer: i, audience: a${extra} } }`;
    expect(
      problems(`version: 1\n${jwt()}\nbackends: { b: { url: "http://127.0.0.1:1" } }\nmodels: { m: { targets: [{ backend: b }] } }\n`),
    ).toEqual(['auth.jwt: auth.jwt needs tenants: a token is accepted only when its tenantClaim names a configured tenant']);
    expect(warnings(base(jwt(), '  acme: {}'))).toEqual([
      'auth.jwt.jwks: cannot read ./missing-jwks.json (ENOENT): every token is refused until it can be read',
    ]);
    expect(problems(base(jwt(', refreshInterval: 10ms, refetchCooldown: 1ms')))).toEqual([
      'auth.jwt.refreshInterval: expected at least 1s',
      'auth.jwt.refetchCooldown: expected at least 100ms',
    ]);
    const r = parseProfile(base('auth: { jwt: { jwks: "https://idp.example/jwks.json", issuer: i, audience: a } }'), 'p.yaml', {});
    expect(r.ok && r.profile.auth?.jwt).toMatchObject({ tenantClaim: 'sub', refreshInterval: 300_000, refetchCooldown: 30_000 });
  });

  it('warns of a key set fetched over plain http from another machine (whoever is on the way signs tokens)', () => {
    const at = (jwks: string) => warnings(base(`auth: { jwt: { jwks: "${jwks}", issuer: i, audience: a } }`, '  acme: {}'));
    expect(at('http://idp.example/jwks.json')).toEqual([
      'auth.jwt.jwks: the key set is fetched over plain http from idp.example: anyone on the way can swap the keys and sign tokens for any tenant; use https',
    ]);
    expect(at('HTTP://10.0.0.7:8080/jwks')).toHaveLength(1);
    for (const fine of ['https://idp.example/jwks.json', 'http://127.0.0.1:9000/jwks', 'http://localhost/jwks', 'http://[::1]:1/k'])
      expect(at(fine), fine).toEqual([]);
  });

  it('accepts tracing, as the contract names it', () => {
    const r = parseProfile(base('observe: { tracing: { otlp: "http://collector:4318", sampleRatio: 0.1 } }'), 'p.yaml', {});
    expect(r.ok && r.profile.observe.tracing).toEqual({ otlp: 'http://collector:4318', sampleRatio: 0.1, captureContent: false });
  });
});

describe.skipIf(!certs)('tls files', () => {
  const tls = (over: Record<string, string | boolean>) =>
    `tls: ${JSON.stringify({ cert: certs!.server.cert, key: certs!.server.key, clientCa: certs!.ca.cert, ...over })}`;

  it('accepts readable, matching files with mtls tenants', () => {
    expect(problems(base(tls({}), '  acme: { mtls: { subject: "CN=acme-gw" } }'))).toEqual([]);
  });

  it('names an unreadable file, a key that does not match, and requireClientCert without a CA', () => {
    expect(problems(base(tls({ cert: 'nowhere/server.crt' })))).toEqual(['tls.cert: cannot read nowhere/server.crt (ENOENT)']);
    const mismatch = problems(base(tls({ key: certs!.acme.key })));
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]).toMatch(/^tls: the certificate, key and CA do not form a usable TLS setup: .*mismatch/);
    expect(mismatch[0]).not.toContain('PRIVATE KEY');
    const noCa = base(`tls: ${JSON.stringify({ cert: certs!.server.cert, key: certs!.server.key, requireClientCert: true })}`);
    expect(problems(noCa)).toEqual(['tls.requireClientCert: requireClientCert needs tls.clientCa (the CA that signs client certificates)']);
  });

  it("reads relative paths from the profile's directory and hands the gateway absolute ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-profile-'));
    const rel = (p: string) => relative(dir, p);
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, base(tls({ cert: rel(certs!.server.cert), key: rel(certs!.server.key), clientCa: rel(certs!.ca.cert) })));
    const r = await loadProfileFile(file, {});
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.profile.tls).toMatchObject({ cert: certs!.server.cert, key: certs!.server.key, clientCa: certs!.ca.cert });
  });
});

describe('files a profile names are only read when they are small regular files', () => {
  it('refuses a named pipe, a device and a 5 MiB file at once (a pipe had blocked the event loop, /dev/zero filled the heap)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-files-'));
    const fifo = join(dir, 'cert.pipe');
    execFileSync('mkfifo', [fifo]);
    const big = join(dir, 'ca.pem');
    writeFileSync(big, '');
    truncateSync(big, 5 * 1024 * 1024);
    const t0 = performance.now();
    const text = base(`tls: ${JSON.stringify({ cert: fifo, key: '/dev/zero', clientCa: big })}`);
    expect(problems(text)).toEqual([
      `tls.cert: cannot read ${fifo} (not a regular file)`,
      'tls.key: cannot read /dev/zero (not a regular file)',
      `tls.clientCa: cannot read ${big} (over 4 MiB)`,
    ]);
    expect(warnings(base(`auth: { jwt: { jwks: ${JSON.stringify(fifo)}, issuer: i, audience: a } }`, '  acme: {}'))).toEqual([
      `auth.jwt.jwks: cannot read ${fifo} (not a regular file): every token is refused until it can be read`,
    ]);
    // Seconds would mean a wait; this is a stat.
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
