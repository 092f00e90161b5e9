/**
 * A client cannot keep a connection's tenant past a reload that removed its CA by padding the chain it sends. The
 * verdict taken again at a reload walks getPeerCertificate(true), which node:tls links by name and key identifier
 * (X509_check_issued) and never by signature — so a client whose certificate a CA about to be removed signed (a
 * leaked CA, a dropped partner) could send, beside it, a made-up "CA" certificate with its CA's name and key id
 * whose issuer is named as the CA that stays, and that CA's own (public) certificate. The handshake verified the
 * leaf under the old CA, ignoring the extras; after the reload the walk went leaf → made-up CA → the kept CA, whose
 * fingerprint is trusted, and the connection went on being served as acme. A link counts only when its signature
 * verifies.
 */
import { writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forgedLink, opensslAvailable, useCerts } from '../helpers/certs.js';
import { profileFor, type TestGateway, useGateway } from '../helpers/gateway.js';
import { acmeMtlsProfile, getModelsOn } from '../helpers/mtls.js';

if (!opensslAvailable) console.warn('SKIPPED identity-mtls-forged-chain: no `openssl` binary to make test certificates');

const certs = opensslAvailable ? useCerts() : undefined;

/** Both CAs trusted: the first step of a rotation (the new CA added, the old one still there). */
const bothCas = certs ? join(certs.dir, 'both-cas.crt') : '';
if (certs) writeFileSync(bothCas, certs.ca.certPem + certs.rogueCa.certPem);
const gw: TestGateway | undefined = certs ? await useGateway(acmeMtlsProfile(certs.server, bothCas)) : undefined;

const call = (agent: Agent, cert: string, key: string) => getModelsOn(gw!.url, agent, { ca: certs!.ca.certPem, cert, key });

describe.skipIf(!certs)('a client certificate chain padded with a made-up link', () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  afterAll(() => agent.destroy());

  it('names no tenant once the CA that signed its leaf is removed', async () => {
    // The leaf the removed CA signed, then the made-up link, then the kept CA's public certificate.
    const padded = certs!.acme.certPem + forgedLink(certs!) + certs!.rogueCa.certPem;
    const before = await call(agent, padded, certs!.acme.keyPem);
    expect(before.status).toBe(200);
    // The second step: the old CA removed.
    expect(await gw!.stack.reload(profileFor(acmeMtlsProfile(certs!.server, certs!.rogueCa.cert)))).toEqual({ ok: true });
    const after = await call(agent, padded, certs!.acme.keyPem);
    expect(after.port).toBe(before.port);
    expect(after.status).toBe(401);
    expect(JSON.parse(after.body).error.message).toMatch(/not signed by the gateway's client CA/);
  });
});
