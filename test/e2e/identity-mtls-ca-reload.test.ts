/**
 * A reload that takes a CA out of tls.clientCa (a CA rotated after a leak, a partner dropped) stops its client
 * certificates from naming tenants on connections already open, not only on new ones. node:tls keeps the verdict of
 * a connection's handshake for its life, and a kept-alive connection lives as long as its client keeps sending:
 * a certificate of the removed CA went on being served as its tenant — charged, routed, let through — after the
 * reload, on the connection it had opened before. A reload that keeps the CA keeps such a connection served.
 */
import { Agent } from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import { type CertFiles, opensslAvailable, useCerts } from '../helpers/certs.js';
import { profileFor, type TestGateway, useGateway } from '../helpers/gateway.js';
import { acmeMtlsProfile, getModelsOn } from '../helpers/mtls.js';

if (!opensslAvailable) console.warn('SKIPPED identity-mtls-ca-reload: no `openssl` binary to make test certificates');

const certs = opensslAvailable ? useCerts() : undefined;

const profile = (server: CertFiles, ca: CertFiles) => acmeMtlsProfile(server, ca.cert);

const gw: TestGateway | undefined = certs ? await useGateway(profile(certs.server, certs.ca)) : undefined;

const call = (agent: Agent, client: CertFiles) =>
  getModelsOn(gw!.url, agent, { ca: [certs!.ca.certPem, certs!.rogueCa.certPem], cert: client.certPem, key: client.keyPem });

describe.skipIf(!certs)('a client CA removed by a reload', () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  afterAll(() => agent.destroy());

  it('keeps serving a connection whose CA the reload keeps', async () => {
    const first = await call(agent, certs!.acme);
    expect(first.status).toBe(200);
    // The server certificate rotated, the client CA the same.
    expect(await gw!.stack.reload(profileFor(profile(certs!.server2, certs!.ca)))).toEqual({ ok: true });
    const again = await call(agent, certs!.acme);
    expect(again).toMatchObject({ status: 200, port: first.port });
  });

  it('names no tenant on a connection opened under the CA it removed', async () => {
    const before = await call(agent, certs!.acme);
    expect(before.status).toBe(200);
    expect(await gw!.stack.reload(profileFor(profile(certs!.server, certs!.rogueCa)))).toEqual({ ok: true });
    const after = await call(agent, certs!.acme);
    expect(after).toMatchObject({ status: 401, port: before.port });
    expect(JSON.parse(after.body).error.message).toMatch(/not signed by the gateway's client CA/);
    // A new connection: the certificate of the CA now trusted names the tenant, the removed CA's does not.
    const fresh = new Agent({ keepAlive: false });
    afterAll(() => fresh.destroy());
    expect((await call(fresh, certs!.rogueAcme)).status).toBe(200);
    expect((await call(fresh, certs!.acme)).status).toBe(401);
  });
});
