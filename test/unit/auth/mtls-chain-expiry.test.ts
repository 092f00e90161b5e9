/**
 * The date a client certificate stops naming its tenant on a kept-alive connection (gateway/identify.ts): the earliest
 * notAfter along its chain (an intermediate CA that expires ends it: test/e2e/identity-mtls-chain-expiry.test.ts), up
 * to the CA the profile trusts now. A connection keeps the chain its handshake's CA store built: after a reload that
 * renewed the root (its name and key kept, a later notAfter — how CAs are renewed), that chain still ends in the old
 * root, and reading its date cut a client the renewed root vouches for at the old one's expiry, where a new
 * connection is served.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certificateExpiry, type PeerCert } from '../../../src/auth/mtls.js';
import { intermediateChain, opensslAvailable, useCerts } from '../../helpers/certs.js';

if (!opensslAvailable) console.warn('SKIPPED mtls-chain-expiry: no `openssl` binary to make test certificates');
const certs = opensslAvailable ? useCerts() : undefined;

/** As getPeerCertificate(true) links them: leaf first, each PEM's issuer the next, the last its own issuer. */
function chain(...pems: string[]): PeerCert {
  const links = pems.map((pem): PeerCert => {
    const x = new X509Certificate(pem);
    return { fingerprint256: x.fingerprint256, raw: x.raw, valid_to: x.validTo };
  });
  links.forEach((c, i) => {
    c.issuerCertificate = links[i + 1] ?? c;
  });
  return links[0]!;
}

/** The test CA's root again, its key and name kept, valid for `days`. */
function rootFor(days: number, name: string): string {
  execFileSync('openssl', ['req', '-x509', '-key', 'ca.key', '-days', String(days), '-subj', '/CN=aigw test CA', '-out', name], {
    cwd: certs!.dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return readFileSync(join(certs!.dir, name), 'utf8');
}

const dateOf = (pem: string) => Date.parse(new X509Certificate(pem).validTo);
const anchoredAt = (pem: string) => ({
  trusted: new Set([new X509Certificate(pem).fingerprint256]),
  trustedCas: [new X509Certificate(pem)],
});

describe.skipIf(!certs)("a client certificate chain's expiry", () => {
  it('is the earliest notAfter along the chain', () => {
    const { mid, leaf } = intermediateChain(certs!);
    const soon = rootFor(1, 'root-1d.crt');
    expect(certificateExpiry(chain(leaf.certPem, mid.certPem, soon))).toBe(dateOf(soon));
  });

  it('reads the root the profile trusts now, not the one the connection was verified with', () => {
    const old = rootFor(1, 'root-old.crt');
    const renewed = rootFor(30, 'root-renewed.crt');
    // The leaf (two days) and the connection's chain ending in the old root (one day); the profile now trusts the renewed one.
    const seen = chain(certs!.acme.certPem, old);
    expect(certificateExpiry(seen, anchoredAt(renewed))).toBe(dateOf(certs!.acme.certPem));
    // Still trusting the old root, its date ends it; trusting both (a CA file in transition), the renewed one's does.
    expect(certificateExpiry(seen, anchoredAt(old))).toBe(dateOf(old));
    const both = {
      trusted: new Set([old, renewed].map((p) => new X509Certificate(p).fingerprint256)),
      trustedCas: [old, renewed].map((p) => new X509Certificate(p)),
    };
    expect(certificateExpiry(seen, both)).toBe(dateOf(certs!.acme.certPem));
  });
});
