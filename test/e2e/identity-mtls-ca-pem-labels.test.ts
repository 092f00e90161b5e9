/**
 * A client CA file whose certificates are not all labelled `BEGIN CERTIFICATE`: OpenSSL, and so node:tls, also reads
 * the old `BEGIN X509 CERTIFICATE` label, and trusted such a CA at the handshake — but the CA list the gateway checks a
 * connection's chain against (auth/tls-options.ts caCertificates, for a verdict that holds only while its CA does)
 * read only the other labels. In a file mixing both, the clients of the old-labelled CA were "not signed by the
 * gateway's client CA", 401 for every request though their handshake verified; a file of that label alone left the
 * check off. Both are read now.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import { caFingerprints } from '../../src/auth/tls-options.js';
import { opensslAvailable, useCerts } from '../helpers/certs.js';
import { type TestGateway, useGateway } from '../helpers/gateway.js';
import { acmeMtlsProfile, getModelsOn } from '../helpers/mtls.js';

if (!opensslAvailable) console.warn('SKIPPED identity-mtls-ca-pem-labels: no `openssl` binary to make test certificates');

const certs = opensslAvailable ? useCerts() : undefined;
const oldLabel = (pem: string) =>
  pem.replaceAll('BEGIN CERTIFICATE', 'BEGIN X509 CERTIFICATE').replaceAll('END CERTIFICATE', 'END X509 CERTIFICATE');
const mixed = certs ? join(certs.dir, 'mixed-ca.pem') : '';
if (certs) writeFileSync(mixed, certs.rogueCa.certPem + oldLabel(certs.ca.certPem));
const gw: TestGateway | undefined = certs ? await useGateway(acmeMtlsProfile(certs.server, mixed)) : undefined;

describe.skipIf(!certs)('a client CA in a PEM labelled X509 CERTIFICATE', () => {
  it('is read as node:tls reads it', () => {
    expect(caFingerprints(Buffer.from(oldLabel(certs!.ca.certPem)))?.size).toBe(1);
    expect(caFingerprints(Buffer.from(certs!.rogueCa.certPem + oldLabel(certs!.ca.certPem)))?.size).toBe(2);
  });

  it("names its clients' tenant beside a CA labelled the usual way", async () => {
    const agent = new Agent({ keepAlive: false });
    afterAll(() => agent.destroy());
    const r = await getModelsOn(gw!.url, agent, { ca: certs!.ca.certPem, cert: certs!.acme.certPem, key: certs!.acme.keyPem });
    expect(r.status).toBe(200);
  });
});
