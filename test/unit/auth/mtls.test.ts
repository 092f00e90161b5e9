/** Client certificate → tenant, pure: subject and SAN rules, Node's SAN rendering, unverified certificates. */
import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { certificateExpiry, compileMtlsRules, type PeerCert, parseSans, parseSubject, tenantOfPeer } from '../../../src/auth/mtls.js';
import type { TenantConfig } from '../../../src/profile/schema.js';
import { forgedLink, intermediateChain, opensslAvailable, useCerts } from '../../helpers/certs.js';

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
  const trusting = (...fps: string[]) => ({ ...rules, trusted: new Set(fps) });
  const acmeSubject = { O: 'Acme', CN: 'acme-gw' };

  it('names nobody once no CA of its chain is trusted (verified at a handshake under a CA since removed)', () => {
    const root: PeerCert = { subject: { CN: 'root' }, fingerprint256: 'AA:01' };
    root.issuerCertificate = root;
    const leaf: PeerCert = { subject: acmeSubject, fingerprint256: 'AA:03', issuerCertificate: root };
    expect(tenantOfPeer(trusting('FF:00'), true, leaf)).toEqual({ ok: false, reason: 'unverified' });
  });

  it('walks a looping chain a bounded number of steps', () => {
    const a: PeerCert = { subject: { O: 'Acme', CN: 'acme-gw' }, fingerprint256: 'BB:01' };
    const b: PeerCert = { subject: { CN: 'b' }, fingerprint256: 'BB:02', issuerCertificate: a };
    a.issuerCertificate = b;
    expect(tenantOfPeer(trusting('FF:00'), true, a)).toEqual({ ok: false, reason: 'unverified' });
  });

  it('follows no link it cannot check by signature (no DER)', () => {
    const root: PeerCert = { subject: { CN: 'root' }, fingerprint256: 'AA:01' };
    root.issuerCertificate = root;
    const leaf: PeerCert = { subject: acmeSubject, fingerprint256: 'AA:03', issuerCertificate: root };
    expect(tenantOfPeer(trusting('AA:01'), true, leaf)).toEqual({ ok: false, reason: 'unverified' });
    // The leaf itself trusted needs no link.
    expect(tenantOfPeer(trusting('AA:03'), true, leaf)).toEqual({ ok: true, tenant: 'acme' });
  });

  describe.skipIf(!opensslAvailable)('with certificates', () => {
    const certs = opensslAvailable ? useCerts() : undefined;
    /** As getPeerCertificate(true) links them: leaf first, each PEM's issuer the next, the last its own issuer. */
    const chain = (...pems: string[]): PeerCert => {
      const certsOf = pems.map((pem): PeerCert => {
        const x = new X509Certificate(pem);
        return { subject: x.subject.includes('acme-gw') ? acmeSubject : { CN: 'ca' }, fingerprint256: x.fingerprint256, raw: x.raw };
      });
      certsOf.forEach((c, i) => {
        c.issuerCertificate = certsOf[i + 1] ?? c;
      });
      return certsOf[0]!;
    };
    const fp = (pem: string) => new X509Certificate(pem).fingerprint256;

    it('names its tenant while its chain reaches a trusted CA, a root or an intermediate', () => {
      const { mid, leaf } = intermediateChain(certs!);
      expect(tenantOfPeer(trusting(fp(certs!.ca.certPem)), true, chain(certs!.acme.certPem, certs!.ca.certPem))).toEqual({
        ok: true,
        tenant: 'acme',
      });
      const viaMid = chain(leaf.certPem, mid.certPem, certs!.ca.certPem);
      expect(tenantOfPeer(trusting('FF:00', fp(mid.certPem)), true, viaMid)).toEqual({ ok: true, tenant: 'acme' });
      expect(tenantOfPeer(trusting(fp(certs!.ca.certPem)), true, viaMid)).toEqual({ ok: true, tenant: 'acme' });
    });

    it('names nobody through a link whose signature does not verify (a made-up CA the client sent)', () => {
      // Linked by node:tls by name and key id: the removed CA's leaf → a forged "aigw test CA" → the trusted rogue CA.
      const padded = chain(certs!.acme.certPem, forgedLink(certs!), certs!.rogueCa.certPem);
      const rogueOnly = { ...trusting(fp(certs!.rogueCa.certPem)), trustedCas: [new X509Certificate(certs!.rogueCa.certPem)] };
      expect(tenantOfPeer(rogueOnly, true, padded)).toEqual({ ok: false, reason: 'unverified' });
      expect(tenantOfPeer(trusting(fp(certs!.rogueCa.certPem)), true, padded)).toEqual({ ok: false, reason: 'unverified' });
      // While the CA that signed the leaf is trusted, what else the client sent beside it does not matter.
      const both = {
        ...trusting(fp(certs!.rogueCa.certPem), fp(certs!.ca.certPem)),
        trustedCas: [certs!.rogueCa.certPem, certs!.ca.certPem].map((pem) => new X509Certificate(pem)),
      };
      expect(tenantOfPeer(both, true, padded)).toEqual({ ok: true, tenant: 'acme' });
      // A certificate of another CA is no issuer of acme's either, whatever the chain says.
      const claimed = chain(certs!.acme.certPem, certs!.rogueCa.certPem);
      expect(tenantOfPeer(trusting(fp(certs!.rogueCa.certPem)), true, claimed)).toEqual({ ok: false, reason: 'unverified' });
    });
  });
});

describe('certificateExpiry', () => {
  it("reads node:tls's notAfter; a date that does not read is already past", () => {
    expect(certificateExpiry({ valid_to: 'Dec  6 09:01:03 2026 GMT' })).toBe(Date.UTC(2026, 11, 6, 9, 1, 3));
    expect(certificateExpiry({ valid_to: 'Dec 31 23:59:59 9999 GMT' })).toBe(Date.UTC(9999, 11, 31, 23, 59, 59));
    expect(certificateExpiry({ valid_to: 'never' })).toBe(Number.NEGATIVE_INFINITY);
    expect(certificateExpiry({})).toBe(Number.NEGATIVE_INFINITY);
    expect(certificateExpiry(undefined)).toBe(Number.NEGATIVE_INFINITY);
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
