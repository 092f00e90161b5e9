/**
 * The listener's TLS and client certificates over real handshakes (node:https on 127.0.0.1): certificates made
 * by `openssl` at test time; no certificate, a wrong CA, mapped subjects and SANs, reload of certificates and policy.
 */
import { createServer, type Server } from 'node:https';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { compileMtlsRules, tenantOfPeer } from '../../../src/auth/mtls.js';
import { X509Certificate } from 'node:crypto';
import { applyTlsOptions, caFingerprints, loadTlsOptions, type TlsServerOptions } from '../../../src/auth/tls-options.js';
import { type CertFiles, opensslAvailable, useCerts } from '../../helpers/certs.js';

if (!opensslAvailable) console.warn('SKIPPED tls: no `openssl` binary to make test certificates');

const certs = opensslAvailable ? useCerts() : undefined;

const { rules } = compileMtlsRules({
  acme: { keys: [], mtls: { subject: 'CN=acme-gw, O=Acme' } },
  globex: { keys: [], mtls: { san: 'URI:https://globex.example/a,b' } },
});

/** An HTTPS server that answers with the tenant its client certificate names (or why none). */
async function server(options: TlsServerOptions): Promise<{ server: Server; url: string }> {
  const s = createServer(options, (req, res) => {
    const socket = req.socket as TLSSocket;
    const r = tenantOfPeer(rules, socket.authorized, socket.getPeerCertificate());
    res.end(r.ok ? `tenant:${r.tenant}` : `none:${r.reason}`);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  afterAll(() => {
    s.closeAllConnections();
    s.close();
  });
  return { server: s, url: `https://127.0.0.1:${(s.address() as { port: number }).port}/` };
}

/** One request with a fresh connection; resolves to the body, or to the TLS error's code. */
function get(url: string, client?: CertFiles, ca = certs!.ca.certPem): Promise<{ body?: string; error?: string; servername?: string }> {
  return new Promise((resolve) => {
    const req = request(url, { ca, agent: false, ...(client ? { cert: client.certPem, key: client.keyPem } : {}) }, (res) => {
      let body = '';
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ body, servername: peer.subject?.CN as string | undefined }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

const load = async (over: object) => {
  const r = await loadTlsOptions({ cert: certs!.server.cert, key: certs!.server.key, requireClientCert: false, ...over }, '/');
  if (!r.ok) throw new Error(r.problem.message);
  return r.options;
};

describe.skipIf(!certs)('TLS listener and client certificates', () => {
  it('requires a verified client certificate when asked: none, or a wrong CA, is refused at the handshake', async () => {
    const { url } = await server(await load({ clientCa: certs!.ca.cert, requireClientCert: true }));
    const none = await get(url);
    expect(none.body).toBeUndefined();
    expect(none.error).toMatch(/ECONNRESET|ERR_SSL|CERTIFICATE_REQUIRED/i);
    const rogue = await get(url, certs!.rogueAcme);
    expect(rogue.body).toBeUndefined();
    expect(rogue.error).toBeDefined();
    expect(await get(url, certs!.acme)).toMatchObject({ body: 'tenant:acme' });
  });

  it('maps subjects and SANs, and lets certificate-less clients in when certificates are optional', async () => {
    const { url } = await server(await load({ clientCa: certs!.ca.cert }));
    expect((await get(url, certs!.acme)).body).toBe('tenant:acme');
    expect((await get(url, certs!.globex)).body).toBe('tenant:globex');
    expect((await get(url, certs!.nobody)).body).toBe('none:unmapped');
    expect((await get(url)).body).toBe('none:no_certificate');
    // The same subject from a CA nobody trusts names nobody.
    expect((await get(url, certs!.rogueAcme)).body).toBe('none:unverified');
  });

  it('serves plain TLS without clientCa: no certificate is asked for', async () => {
    const { url } = await server(await load({}));
    expect((await get(url, certs!.acme)).body).toBe('none:no_certificate');
  });

  it('reloads certificates and the client-certificate policy on a running server', async () => {
    const { server: s, url } = await server(await load({ clientCa: certs!.ca.cert }));
    expect(await get(url)).toMatchObject({ body: 'none:no_certificate', servername: 'aigw-test' });
    applyTlsOptions(
      s,
      await load({ cert: certs!.server2.cert, key: certs!.server2.key, clientCa: certs!.ca.cert, requireClientCert: true }),
    );
    expect((await get(url)).body).toBeUndefined();
    expect(await get(url, certs!.acme)).toMatchObject({ body: 'tenant:acme', servername: 'aigw-rotated' });
  });

  it("reads every certificate of a CA bundle's fingerprints as node:tls writes a peer's, and none from what holds none", () => {
    const bundle = Buffer.from(`${certs!.ca.certPem}\n# a comment between them\n${certs!.rogueCa.certPem}`);
    const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
    expect(caFingerprints(bundle)).toEqual(new Set([fp(certs!.ca.certPem), fp(certs!.rogueCa.certPem)]));
    expect(caFingerprints(Buffer.from('-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n'))).toBeUndefined();
    expect(caFingerprints(undefined)).toBeUndefined();
  });

  it('reports unreadable files and mismatched keys as problems naming the key', async () => {
    const base = { cert: certs!.server.cert, key: certs!.server.key, requireClientCert: false };
    const cases: { over: object; key: string; code: string }[] = [
      { over: { cert: 'missing.crt' }, key: 'tls.cert', code: 'tls_file_unreadable' },
      { over: { clientCa: 'missing-ca.crt' }, key: 'tls.clientCa', code: 'tls_file_unreadable' },
      // A device or pipe put where a file was (after the profile's check): refused, not read until the heap gives out.
      { over: { key: '/dev/zero' }, key: 'tls.key', code: 'tls_file_unreadable' },
      { over: { key: certs!.acme.key }, key: 'tls', code: 'tls_invalid' },
      { over: { requireClientCert: true }, key: 'tls.requireClientCert', code: 'tls_invalid' },
    ];
    for (const c of cases) {
      const r = await loadTlsOptions({ ...base, ...c.over }, certs!.dir);
      expect(r.ok ? undefined : { key: r.problem.key, code: r.problem.code }).toEqual({ key: c.key, code: c.code });
      if (!r.ok) expect(r.problem.message).not.toContain('PRIVATE KEY');
    }
  });
});
