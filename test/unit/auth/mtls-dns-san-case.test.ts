/**
 * An mtls rule on a DNS subjectAltName against a certificate that writes the name in other case: a DNS name is the same
 * name in any case (RFC 6125 §6.4.1), and Node renders a certificate's as it was issued (`DNS:GW.Acme.Example`, as a
 * CSR or a cert-manager `dnsNames` gave it). Compared as text, `san: "DNS:gw.acme.example"` never matched, and the
 * tenant's every request was 401 "the client certificate names no tenant". Real certificates (openssl).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileMtlsRules, tenantOfPeer } from '../../../src/auth/mtls.js';
import { clientCert, opensslAvailable, useCerts } from '../../helpers/certs.js';

describe.skipIf(!opensslAvailable)('an mtls rule on a DNS subjectAltName', () => {
  const certs = useCerts();
  const peer = (name: string, ...sans: string[]) => {
    const x = new X509Certificate(readFileSync(clientCert(certs, name, `/CN=${name}`, ...sans).cert));
    return { subject: { CN: name }, subjectaltname: x.subjectAltName };
  };
  const { rules } = compileMtlsRules({
    typed: { keys: [], mtls: { san: 'DNS:gw.acme.example' } },
    untyped: { keys: [], mtls: { san: 'Gw.Globex.Example' } },
    path: { keys: [], mtls: { san: 'URI:spiffe://initech.example/Gw' } },
  });

  it('names the tenant whatever the case of the name', () => {
    const typed = peer('typed-gw', 'DNS:GW.Acme.Example');
    expect(typed.subjectaltname).toBe('DNS:GW.Acme.Example');
    expect(tenantOfPeer(rules, true, typed)).toEqual({ ok: true, tenant: 'typed' });
    expect(tenantOfPeer(rules, true, peer('untyped-gw', 'DNS:gw.globex.example'))).toEqual({ ok: true, tenant: 'untyped' });
  });

  it('compares other types as written, and another name names nobody', () => {
    expect(tenantOfPeer(rules, true, peer('uri-gw', 'URI:spiffe://initech.example/gw'))).toEqual({ ok: false, reason: 'unmapped' });
    expect(tenantOfPeer(rules, true, peer('email-gw', 'email:GW.Globex.Example'))).toEqual({ ok: false, reason: 'unmapped' });
    expect(tenantOfPeer(rules, true, peer('other-gw', 'DNS:gw2.acme.example'))).toEqual({ ok: false, reason: 'unmapped' });
  });
});
