/**
 * A client certificate names its tenant until it expires, on a connection kept alive past that too. node:tls checks a
 * certificate's dates at the handshake only, and the verdict aigw reads from it is kept for the connection: a client
 * whose certificate expired (a short-lived SPIFFE SVID not renewed — expiry is how such identities are revoked — or
 * an offboarded partner's) went on being served, routed and charged as its tenant for as long as it kept its
 * connection busy. Past its notAfter it names nobody (401), as a new handshake with it would fail.
 */
import { Agent } from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import { acmeUntil, type CertFiles, opensslAvailable, useCerts } from '../helpers/certs.js';
import { type TestGateway, useGateway } from '../helpers/gateway.js';
import { acmeMtlsProfile, getModelsOn } from '../helpers/mtls.js';

if (!opensslAvailable) console.warn('SKIPPED identity-mtls-expiry: no `openssl` binary to make test certificates');

const certs = opensslAvailable ? useCerts() : undefined;

const gw: TestGateway | undefined = certs ? await useGateway(acmeMtlsProfile(certs.server, certs.ca.cert)) : undefined;

const call = (agent: Agent, client: CertFiles) =>
  getModelsOn(gw!.url, agent, { ca: certs!.ca.certPem, cert: client.certPem, key: client.keyPem });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!certs)('a client certificate that expires while its connection is open', () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  afterAll(() => agent.destroy());

  it('names no tenant past its notAfter, on the same connection', async () => {
    // Whole seconds: openssl writes the date to the second.
    const notAfter = new Date(Math.ceil((Date.now() + 4000) / 1000) * 1000);
    const short = acmeUntil(certs!, notAfter);
    const first = await call(agent, short);
    expect(first.status).toBe(200);
    // Kept busy (well inside the gateway's keep-alive) until its first refusal, or well past the expiry.
    let last = first;
    let at = Date.now();
    while (last.status === 200 && at < notAfter.getTime() + 3000) {
      await sleep(500);
      at = Date.now();
      last = await call(agent, short);
    }
    // Refused on the connection it was served on, and not before the certificate expired.
    expect(last).toMatchObject({ status: 401, port: first.port });
    expect(at).toBeGreaterThanOrEqual(notAfter.getTime() - 1000);
    expect(JSON.parse(last.body).error.message).toMatch(/has expired/);
  }, 20_000);
});
