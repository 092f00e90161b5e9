/**
 * An mtls rule that an earlier tenant's rule already covers: the first matching rule names the certificate's tenant,
 * so every certificate the later rule names went to the earlier tenant — a general rule before a specific one
 * (`O=Acme` in acme, then `CN=batch, O=Acme` in acme-batch) served, charged and limited acme-batch's gateway as acme,
 * with acme's allow-list, and nothing said so. A profile error at the later rule, as a key in two tenants is.
 */
import { describe, expect, it } from 'vitest';
import { compileMtlsRules, tenantOfPeer } from '../../../src/auth/mtls.js';
import { parseProfile } from '../../../src/profile/load.js';
import type { TenantConfig } from '../../../src/profile/schema.js';
import { opensslAvailable, useCerts } from '../../helpers/certs.js';

if (!opensslAvailable) console.warn('SKIPPED mtls-rule-shadowed: no `openssl` binary to make test certificates');
const certs = opensslAvailable ? useCerts() : undefined;

const profile = (first: string, second: string) => `version: 1
tls: { cert: "${certs!.server.cert}", key: "${certs!.server.key}", clientCa: "${certs!.ca.cert}" }
backends:
  b: { url: "http://127.0.0.1:8001" }
models:
  m: { targets: [{ backend: b }] }
tenants:
  acme: { mtls: ${first} }
  acme-batch: { mtls: ${second} }
`;
const problems = (first: string, second: string) => {
  const r = parseProfile(profile(first, second), 'p.yaml', {});
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
};

describe.skipIf(!certs)('an mtls rule an earlier tenant covers', () => {
  it('was served as the earlier tenant (what the check is for)', () => {
    const tenant = (mtls: TenantConfig['mtls']): TenantConfig => ({ keys: [], mtls });
    const { rules } = compileMtlsRules({ acme: tenant({ subject: 'O=Acme' }), 'acme-batch': tenant({ subject: 'CN=batch, O=Acme' }) });
    expect(tenantOfPeer(rules, true, { subject: { CN: 'batch', O: 'Acme' } })).toEqual({ ok: true, tenant: 'acme' });
  });

  const covered: [string, string, string][] = [
    ['the same subject', '{ subject: "CN=acme-gw, O=Acme" }', '{ subject: "O=Acme, CN=acme-gw" }'],
    ['a subject of fewer attributes first', '{ subject: "O=Acme" }', '{ subject: "CN=batch, O=Acme" }'],
    ['a subject alone before a subject and a SAN', '{ subject: "O=Acme" }', '{ subject: "O=Acme", san: "DNS:batch.acme.example" }'],
    ['the same SAN', '{ san: "URI:spiffe://acme/gw" }', '{ san: "URI:spiffe://acme/gw" }'],
    ['an untyped SAN before a typed one', '{ san: "batch.acme.example" }', '{ san: "DNS:batch.acme.example" }'],
    ['a DNS name in another case', '{ san: "DNS:Batch.Acme.Example" }', '{ san: "dns:batch.acme.example" }'],
    ['an IPv6 address spelt another way', '{ san: "IP:2001:db8::1" }', '{ san: "IP:2001:DB8:0:0:0:0:0:1" }'],
  ];
  for (const [name, first, second] of covered) {
    it(`is refused: ${name}`, () => {
      expect(problems(first, second)).toEqual([expect.stringMatching(/^tenants\.acme-batch\.mtls: .*tenant "acme"/)]);
    });
  }

  const distinct: [string, string, string][] = [
    ['the specific rule first', '{ subject: "CN=batch, O=Acme" }', '{ subject: "O=Acme" }'],
    ['other values', '{ subject: "CN=acme-gw" }', '{ subject: "CN=batch" }'],
    ['a typed SAN before an untyped one (which names more)', '{ san: "DNS:batch.acme.example" }', '{ san: "batch.acme.example" }'],
    ['a SAN rule before a subject rule', '{ san: "DNS:batch.acme.example" }', '{ subject: "CN=batch" }'],
    ['a URI in another case (compared as written)', '{ san: "URI:spiffe://Acme/gw" }', '{ san: "URI:spiffe://acme/gw" }'],
  ];
  for (const [name, first, second] of distinct) {
    it(`still loads: ${name}`, () => {
      expect(problems(first, second)).toEqual([]);
    });
  }
});
