/**
 * A client certificate names its tenant only while every certificate of its chain is valid, on a connection kept alive
 * too. OpenSSL refuses a chain with an expired link at the handshake — an intermediate CA past its notAfter as well as
 * the leaf — and node:tls checks the dates at the handshake alone: the leaf's own notAfter was watched per request
 * (identity-mtls-expiry.test.ts), but a client whose intermediate CA expired (retired at the end of its term, a
 * short-lived issuing CA not renewed) went on being served, routed and charged as its tenant for as long as it kept
 * its connection busy, though a new connection with that chain was refused.
 */
import { Agent } from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import { intermediateUntil, opensslAvailable, useCerts } from '../helpers/certs.js';
import { type TestGateway, useGateway } from '../helpers/gateway.js';
import { acmeMtlsProfile, getModelsOn } from '../helpers/mtls.js';

if (!opensslAvailable) console.warn('SKIPPED identity-mtls-chain-expiry: no `openssl` binary to make test certificates');

const certs = opensslAvailable ? useCerts() : undefined;

const gw: TestGateway | undefined = certs ? await useGateway(acmeMtlsProfile(certs.server, certs.ca.cert)) : undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!certs)('a client certificate whose intermediate CA expires while its connection is open', () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  afterAll(() => agent.destroy());

  it("names no tenant past the intermediate's notAfter, on the same connection", async () => {
    // Whole seconds: openssl writes the date to the second. The leaf itself is valid for two days.
    const notAfter = new Date(Math.ceil((Date.now() + 4000) / 1000) * 1000);
    const { mid, leaf } = intermediateUntil(certs!, notAfter);
    const tls = { ca: certs!.ca.certPem, cert: leaf.certPem + mid.certPem, key: leaf.keyPem };
    const first = await getModelsOn(gw!.url, agent, tls);
    expect(first.status).toBe(200);
    let last = first;
    let at = Date.now();
    while (last.status === 200 && at < notAfter.getTime() + 3000) {
      await sleep(500);
      at = Date.now();
      last = await getModelsOn(gw!.url, agent, tls);
    }
    // Refused on the connection it was served on, and not before the intermediate expired.
    expect(last).toMatchObject({ status: 401, port: first.port });
    expect(at).toBeGreaterThanOrEqual(notAfter.getTime() - 1000);
    expect(JSON.parse(last.body).error.message).toMatch(/has expired/);
    // As a new connection with that chain is: its handshake no longer verifies.
    const fresh = new Agent({ keepAlive: false });
    const anew = await getModelsOn(gw!.url, fresh, tls);
    fresh.destroy();
    expect(anew.status).toBe(401);
  }, 20_000);
});
