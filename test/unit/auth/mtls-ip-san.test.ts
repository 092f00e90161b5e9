/**
 * An mtls rule on an IPv6 subjectAltName (`san: "IP:2001:db8::1"`) against the certificate it names: Node renders a
 * certificate's IPv6 address as eight groups of upper-case hex (`IP Address:2001:DB8:0:0:0:0:0:1`), and the rule was
 * compared as text — it never matched, and the tenant's every request was 401 "the client certificate names no
 * tenant", with `aigw validate` saying nothing. Addresses are now compared as addresses. Real certificates (openssl).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileMtlsRules, tenantOfPeer } from '../../../src/auth/mtls.js';
import { clientCert, opensslAvailable, useCerts } from '../../helpers/certs.js';

describe.skipIf(!opensslAvailable)('an mtls rule on an IPv6 subjectAltName', () => {
  const certs = useCerts();
  const peer = (name: string, ...sans: string[]) => {
    const x = new X509Certificate(readFileSync(clientCert(certs, name, `/CN=${name}`, ...sans).cert));
    return { subject: { CN: name }, subjectaltname: x.subjectAltName };
  };
  const { rules } = compileMtlsRules({
    v6: { keys: [], mtls: { san: 'IP:2001:db8::1' } },
    mapped: { keys: [], mtls: { san: 'IP Address:::ffff:10.0.0.7' } },
    untyped: { keys: [], mtls: { san: 'fd00:0:0:0:0:0:0:a' } },
    v4: { keys: [], mtls: { san: 'IP:10.1.2.3' } },
  });

  it('names the tenant whose rule writes the address in any IPv6 spelling', () => {
    const v6 = peer('v6-gw', 'IP:2001:db8::1');
    // What the rule was compared with, as text.
    expect(v6.subjectaltname).toBe('IP Address:2001:DB8:0:0:0:0:0:1');
    expect(tenantOfPeer(rules, true, v6)).toEqual({ ok: true, tenant: 'v6' });
    expect(tenantOfPeer(rules, true, peer('mapped-gw', 'IP:::ffff:10.0.0.7'))).toEqual({ ok: true, tenant: 'mapped' });
    expect(tenantOfPeer(rules, true, peer('untyped-gw', 'IP:fd00::a'))).toEqual({ ok: true, tenant: 'untyped' });
    expect(tenantOfPeer(rules, true, peer('v4-gw', 'IP:10.1.2.3'))).toEqual({ ok: true, tenant: 'v4' });
  });

  it('still names nobody for another address, or the same text under another type', () => {
    expect(tenantOfPeer(rules, true, peer('other-gw', 'IP:2001:db8::2'))).toEqual({ ok: false, reason: 'unmapped' });
    expect(tenantOfPeer(rules, true, { subject: { CN: 'x' }, subjectaltname: 'DNS:2001:DB8:0:0:0:0:0:1' })).toEqual({
      ok: false,
      reason: 'unmapped',
    });
  });
});
