/**
 * A client certificate issued by an intermediate CA (the client sends it with its certificate; tls.clientCa holds the
 * root only, as a PKI with issuing CAs is usually trusted) names its tenant on a resumed TLS session too. A resumed
 * session carries the client's certificate but not the chain it sent at the full handshake: the chain node:tls builds
 * for it stops at the certificate, whose issuer the CA file does not hold, and every connection after the first from
 * a client that resumes sessions (node:https's and undici's agents do, by default) was 401 "not signed by the
 * gateway's client CA". A session resumed after a reload that took its CA out still names nobody.
 */
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { intermediateChain, opensslAvailable, useCerts } from '../helpers/certs.js';
import { profileFor, type TestGateway, useGateway } from '../helpers/gateway.js';
import { acmeMtlsProfile } from '../helpers/mtls.js';

if (!opensslAvailable) console.warn('SKIPPED identity-mtls-resumed-session: no `openssl` binary to make test certificates');

const certs = opensslAvailable ? useCerts() : undefined;
const chain = certs ? intermediateChain(certs) : undefined;

const gw: TestGateway | undefined = certs ? await useGateway(acmeMtlsProfile(certs.server, certs.ca.cert)) : undefined;

interface Answer {
  status: number;
  body: string;
  reused: boolean;
}

/** GET /v1/models on a new connection through `agent`, which keeps the TLS sessions it was given (node:https's default). */
function getModels(agent: Agent, cert: string, key: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${gw!.url}/v1/models`, { agent, ca: [certs!.ca.certPem, certs!.rogueCa.certPem], cert, key }, (res) => {
      let body = '';
      const reused = (res.socket as TLSSocket).isSessionReused();
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, reused }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!certs)('a client certificate on a resumed TLS session', () => {
  // No keep-alive: each request is a new connection, resumed from the session the agent kept.
  const agent = new Agent({ keepAlive: false });
  afterAll(() => agent.destroy());
  const leafAndMid = () => ({ cert: chain!.leaf.certPem + chain!.mid.certPem, key: chain!.leaf.keyPem });

  it('names its tenant when its chain reached the CA through an intermediate at the full handshake', async () => {
    const { cert, key } = leafAndMid();
    const first = await getModels(agent, cert, key);
    expect(first).toMatchObject({ status: 200, reused: false });
    // The agent offers the session it kept on each new connection; the gateway makes a full handshake of it
    // (auth/tls-options.ts), so the chain is there to check, and the client is acme every time.
    for (let i = 0; i < 3; i++) expect(await getModels(agent, cert, key)).toMatchObject({ status: 200, reused: false });
  });

  it('names its tenant on every connection after a reload too (the server certificate rotated, the CA kept)', async () => {
    const { cert, key } = leafAndMid();
    expect(await gw!.stack.reload(profileFor(acmeMtlsProfile(certs!.server2, certs!.ca.cert)))).toEqual({ ok: true });
    for (let i = 0; i < 3; i++) expect(await getModels(agent, cert, key)).toMatchObject({ status: 200, reused: false });
  });

  it('names nobody on a session resumed after a reload that took its CA out', async () => {
    const { cert, key } = leafAndMid();
    expect((await getModels(agent, cert, key)).status).toBe(200);
    expect(await gw!.stack.reload(profileFor(acmeMtlsProfile(certs!.server, certs!.rogueCa.cert)))).toEqual({ ok: true });
    const after = await getModels(agent, cert, key);
    expect(after.status).toBe(401);
  });
});
