/**
 * The headers by which the TLS-terminating proxies backends are commonly deployed behind name the client certificate
 * they verified: ASP.NET Core's certificate forwarding reads `X-ARR-ClientCert` by default (Azure App Service sets
 * it), AWS's load balancers set `X-Amzn-Mtls-Clientcert` and its `-Subject`, `-Issuer`, `-Serial-Number`, `-Validity`,
 * `-Leaf`, nginx and Apache setups pass `X-SSL-Client-*` / `SSL_CLIENT_*`, Google's load balancers' documented
 * `X-Client-Cert-*`, nginx's usual `X-SSL-Cert`, `X-Client-Verify` and `X-Client-DN`, Cloudflare's `Cf-Client-Cert-*`. aigw terminates the client's TLS in their place, and a client's own copies of them went
 * upstream: any client named the certificate of its choice to a backend that trusts them (trust 67 removed Envoy's,
 * RFC 9440's and Traefik's). They never reach a backend now, however spelt.
 */
import { expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-cert-headers-5e1f';
const capture = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"id":"c","object":"chat.completion","model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}');
});
const gw = await useGateway(
  `
version: 1
backends:
  capture: { url: "{{capture}}" }
models:
  m: { targets: [{ backend: capture }] }
tenants:
  t: { keys: ["${KEY}"] }
`,
  { capture: capture.url },
);

it("a client's certificate headers of the usual proxies never reach the backend", async () => {
  const forged = {
    'x-arr-clientcert': 'MIIBqDCCAU6gAwIBAgIBBzAK',
    'x-amzn-mtls-clientcert': 'MIIBqDCCAU6gAwIBAgIBBzAK',
    'x-amzn-mtls-clientcert-subject': 'CN=admin',
    'x-amzn-mtls-clientcert-leaf': 'MIIBqDCCAU6gAwIBAgIBBzAK',
    'x-ssl-client-cert': 'MIIBqDCCAU6gAwIBAgIBBzAK',
    'x-ssl-client-verify': 'SUCCESS',
    'x-ssl-client-s-dn': 'CN=admin,O=Acme',
    ssl_client_s_dn: 'CN=admin,O=Acme',
    'x-client-cert-present': 'true',
    'x-client-cert-chain-verified': 'true',
    'x-client-cert-spiffe': 'spiffe://acme/admin',
    'x-ssl-cert': 'MIIBqDCCAU6gAwIBAgIBBzAK',
    'x-client-verify': 'SUCCESS',
    'x-client-dn': 'CN=admin,O=Acme',
    'x-client-s-dn': 'CN=admin,O=Acme',
    'cf-client-cert-der-base64': 'MIIBqDCCAU6gAwIBAgIBBzAK',
    'cf-client-cert-sha256': '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  };
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-session-id': 'kept', ...forged },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(r.status).toBe(200);
  await r.arrayBuffer();
  const seen = capture.seen.at(-1)!.headers;
  for (const name of Object.keys(forged)) expect(seen[name], name).toBeUndefined();
  expect(seen['x-session-id']).toBe('kept');
});
