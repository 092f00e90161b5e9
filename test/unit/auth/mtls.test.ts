/** Client certificate → tenant, pure: subject and SAN rules, Node's SAN rendering, unverified certificates. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileMtlsRules, type PeerCert, parseSans, parseSubject, tenantOfPeer } from '../../../src/auth/mtls.js';
import type { TenantConfig } from '../../../src/profile/schema.js';

const tenant = (mtls: TenantConfig['mtls']): TenantConfig => ({ keys: [], mtls });
const { rules, problems } = compileMtlsRules({
  acme: tenant({ subject: 'CN=acme-gw, O=Acme' }),
  spiffe: tenant({ san: 'URI:spiffe://acme.example/gw' }),
  globex: tenant({ san: 'gw.globex.example' }),
  both: tenant({ subject: 'CN=both', san: 'DNS:both.example' }),
  comma: tenant({ subject: 'CN=a\\, b' }),
  keysOnly: { keys: ['k'] },
});

describe('compileMtlsRules', () => {
  it('compiles every well-formed rule in profile order', () => {
    expect(problems).toEqual([]);
    expect(rules.rules.map((r) => r.tenant)).toEqual(['acme', 'spiffe', 'globex', 'both', 'comma']);
  });

  it('reports a malformed subject as a problem of its tenant', () => {
    const r = compileMtlsRules({ bad: tenant({ subject: 'acme-gw' }), worse: tenant({ subject: 'CN=x,,O=y' }) });
    expect(r.problems.map((p) => p.tenant)).toEqual(['bad', 'worse']);
    expect(r.rules.rules).toEqual([]);
  });
});

describe('tenantOfPeer', () => {
  const cases: { name: string; cert: PeerCert | undefined; authorized?: boolean; want: ReturnType<typeof tenantOfPeer> }[] = [
    {
      name: 'subject with every listed attribute',
      cert: { subject: { O: 'Acme', CN: 'acme-gw', C: 'FR' } },
      want: { ok: true, tenant: 'acme' },
    },
    { name: 'subject missing one attribute', cert: { subject: { CN: 'acme-gw' } }, want: { ok: false, reason: 'unmapped' } },
    { name: 'multi-valued attribute', cert: { subject: { O: ['Other', 'Acme'], CN: 'acme-gw' } }, want: { ok: true, tenant: 'acme' } },
    {
      name: 'typed SAN',
      cert: { subject: { CN: 'x' }, subjectaltname: 'DNS:x.example, URI:spiffe://acme.example/gw' },
      want: { ok: true, tenant: 'spiffe' },
    },
    {
      name: 'typed SAN of another type',
      cert: { subject: { CN: 'x' }, subjectaltname: 'DNS:spiffe://acme.example/gw' },
      want: { ok: false, reason: 'unmapped' },
    },
    {
      name: 'untyped SAN of any type',
      cert: { subject: { CN: 'x' }, subjectaltname: 'email:gw.globex.example' },
      want: { ok: true, tenant: 'globex' },
    },
    {
      name: 'subject and SAN both needed',
      cert: { subject: { CN: 'both' }, subjectaltname: 'DNS:other.example' },
      want: { ok: false, reason: 'unmapped' },
    },
    {
      name: 'subject and SAN both present',
      cert: { subject: { CN: 'both' }, subjectaltname: 'DNS:both.example' },
      want: { ok: true, tenant: 'both' },
    },
    { name: 'an escaped comma in a value', cert: { subject: { CN: 'a, b' } }, want: { ok: true, tenant: 'comma' } },
    { name: 'attribute names are case-insensitive', cert: { subject: { cn: 'acme-gw', o: 'Acme' } }, want: { ok: true, tenant: 'acme' } },
    { name: 'values are not', cert: { subject: { CN: 'ACME-GW', O: 'Acme' } }, want: { ok: false, reason: 'unmapped' } },
    {
      name: 'an unverified certificate names nobody',
      cert: { subject: { O: 'Acme', CN: 'acme-gw' } },
      authorized: false,
      want: { ok: false, reason: 'unverified' },
    },
    { name: 'no certificate (node gives {})', cert: {}, want: { ok: false, reason: 'no_certificate' } },
    { name: 'no certificate at all', cert: undefined, want: { ok: false, reason: 'no_certificate' } },
  ];
  for (const c of cases) it(c.name, () => expect(tenantOfPeer(rules, c.authorized ?? true, c.cert)).toEqual(c.want));
});

describe('tenantOfPeer against the client CA trusted now', () => {
  // As getPeerCertificate(true) links them: leaf → intermediate → root, the root its own issuer.
  const root: PeerCert = { subject: { CN: 'root' }, fingerprint256: 'AA:01' };
  root.issuerCertificate = root;
  const mid: PeerCert = { subject: { CN: 'mid' }, fingerprint256: 'AA:02', issuerCertificate: root };
  const leaf: PeerCert = { subject: { O: 'Acme', CN: 'acme-gw' }, fingerprint256: 'AA:03', issuerCertificate: mid };
  const trusting = (...fps: string[]) => ({ ...rules, trusted: new Set(fps) });

  it('names its tenant while its chain reaches a trusted CA, a root or an intermediate', () => {
    expect(tenantOfPeer(trusting('AA:01'), true, leaf)).toEqual({ ok: true, tenant: 'acme' });
    expect(tenantOfPeer(trusting('FF:00', 'AA:02'), true, leaf)).toEqual({ ok: true, tenant: 'acme' });
  });

  it('names nobody once no CA of its chain is trusted (verified at a handshake under a CA since removed)', () => {
    expect(tenantOfPeer(trusting('FF:00'), true, leaf)).toEqual({ ok: false, reason: 'unverified' });
  });

  it('walks a looping chain a bounded number of steps', () => {
    const a: PeerCert = { subject: { O: 'Acme', CN: 'acme-gw' }, fingerprint256: 'BB:01' };
    const b: PeerCert = { subject: { CN: 'b' }, fingerprint256: 'BB:02', issuerCertificate: a };
    a.issuerCertificate = b;
    expect(tenantOfPeer(trusting('FF:00'), true, a)).toEqual({ ok: false, reason: 'unverified' });
  });
});

describe('parseSubject and parseSans', () => {
  it('reads RDN pairs with escapes', () => {
    expect(parseSubject('CN=a\\,b , O = Acme Inc')).toEqual([
      ['cn', 'a,b'],
      ['o', 'Acme Inc'],
    ]);
    expect(parseSubject('')).toBeUndefined();
    expect(parseSubject('=x')).toBeUndefined();
  });

  it("reads Node's rendering, JSON-quoted values included", () => {
    expect(parseSans('DNS:gw.globex.example, email:ops@globex.example, URI:"https://globex.example/a\\u002cb"')).toEqual([
      { type: 'DNS', value: 'gw.globex.example' },
      { type: 'email', value: 'ops@globex.example' },
      { type: 'URI', value: 'https://globex.example/a,b' },
    ]);
    expect(parseSans('IP Address:127.0.0.1')).toEqual([{ type: 'IP Address', value: '127.0.0.1' }]);
    expect(parseSans(undefined)).toEqual([]);
  });

  it('round-trips any values rendered the way Node renders them (property)', () => {
    const entry = fc.record({ type: fc.constantFrom('DNS', 'URI', 'email', 'IP Address'), value: fc.string({ minLength: 1 }) });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 5 }), (entries) => {
        const text = entries
          .map((e) => `${e.type}:${/[,"\\\s]|^$/.test(e.value) || /[^\x21-\x7e]/.test(e.value) ? JSON.stringify(e.value) : e.value}`)
          .join(', ');
        expect(parseSans(text)).toEqual(entries);
      }),
    );
  });

  it('never throws on hostile text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        parseSans(s);
        parseSubject(s);
      }),
    );
  });
});
