/**
 * A client certificate is an ambient credential: a browser presents the one it holds for the gateway's host on any
 * request to it, whichever page made that request (an enterprise's auto-selection policy, or the certificate its
 * user picked once). A page on another site could have the browser POST a completion — `fetch(gw, { method: 'POST',
 * mode: 'no-cors', credentials: 'include', body: new Blob([json]) })` sends no content-type, so no preflight — and it
 * was served as the certificate's tenant: its tokens, budget and backends spent by any site its user visited (the
 * answer unread, the cost paid). An API key or a JWT is no such credential (a page must know it to send it), nor is a
 * program's request marked as a page's. A request that only its certificate identifies, marked by its browser as
 * another site's (`Origin` of another origin, `Sec-Fetch-Site: cross-site` or `same-site`), is now 403 `forbidden`,
 * nothing sent upstream — as a gateway without tenants answers such pages (trust 15).
 */
import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { type CertFiles, opensslAvailable, useCerts } from '../helpers/certs.js';
import { useGateway } from '../helpers/gateway.js';
import { acmeMtlsProfile } from '../helpers/mtls.js';

const certs = opensslAvailable ? useCerts() : undefined;
const gw = certs ? await useGateway(acmeMtlsProfile(certs.server, certs.ca.cert)) : undefined;

/** A chat completion with acme's certificate, no content-type (a Blob body), and the given browser headers. */
function post(headers: Record<string, string>, client: CertFiles = certs!.acme): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'llama', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    const req = request(
      `${gw!.url}/v1/chat/completions`,
      { method: 'POST', ca: certs!.ca.certPem, cert: client.certPem, key: client.keyPem, agent: false, headers },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const host = () => new URL(gw!.url).host;

describe.skipIf(!certs)('a request only its client certificate identifies, sent by a page of another site', () => {
  it('is refused 403 forbidden, and no backend is asked', async () => {
    const chats = async () => (await gw!.mockStats('vllm')).requests['/v1/chat/completions'] ?? 0;
    const before = await chats();
    const pages: Record<string, string>[] = [
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of pages) {
      const r = await post(headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect((JSON.parse(r.body) as { error: { code: string } }).error.code).toBe('forbidden');
    }
    expect(await chats()).toBe(before);
  });

  it('a program (no browser marks), and a page of the gateway’s own origin, are served as before', async () => {
    expect((await post({ 'content-type': 'application/json' })).status).toBe(200);
    expect((await post({ origin: `https://${host()}`, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });
});
