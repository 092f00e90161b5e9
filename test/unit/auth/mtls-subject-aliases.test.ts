/**
 * An mtls subject rule written with another name for an attribute than OpenSSL's, which node:tls uses for a
 * certificate's subject (`emailAddress`, `ST`, `title`, `GN`, `SN`…): `E=` and `S=` as Windows and .NET write a DN,
 * `EMAIL=`, or RFC 4519's long names (`commonName`, `givenName`, `surname`, `stateOrProvinceName`). The rule asked
 * for an attribute no certificate's subject has, and never matched: 401 for every request of its tenant, unsaid.
 * They are read as the attribute they name.
 */
import { describe, expect, it } from 'vitest';
import { compileMtlsRules, tenantOfPeer } from '../../../src/auth/mtls.js';
import { parseSubject } from '../../../src/profile/mtls-subject.js';

// As node:tls gives it (checked against `openssl req -subj "/CN=…/emailAddress=…/ST=…/title=…/GN=…/SN=…"`).
const subject = { CN: 'acme-gw', O: 'Acme', emailAddress: 'ops@acme.example', ST: 'CA', title: 'gw', GN: 'Ada', SN: 'Lovelace' };
const tenantFor = (rule: string) => {
  const { rules } = compileMtlsRules({ acme: { keys: [], mtls: { subject: rule } } });
  return tenantOfPeer(rules, true, { subject });
};

describe('a subject rule naming an attribute another way', () => {
  for (const rule of [
    'CN=acme-gw, E=ops@acme.example',
    'CN=acme-gw, EMAIL=ops@acme.example',
    'CN=acme-gw, S=CA',
    'commonName=acme-gw, organizationName=Acme',
    'CN=acme-gw, stateOrProvinceName=CA',
    'CN=acme-gw, T=gw',
    'givenName=Ada, surname=Lovelace',
  ]) {
    it(`matches: ${rule}`, () => {
      expect(tenantFor(rule)).toEqual({ ok: true, tenant: 'acme' });
    });
  }

  it("names the same attributes as OpenSSL's names do", () => {
    expect(parseSubject('E=a, S=b, commonName=c')).toEqual(parseSubject('emailAddress=a, ST=b, CN=c'));
  });

  it('a value that differs still does not match', () => {
    expect(tenantFor('CN=acme-gw, E=other@acme.example')).toEqual({ ok: false, reason: 'unmapped' });
  });
});
