/**
 * The gateway listener over HTTPS with client certificates as tenants (issue 15), through a live stack: a CA,
 * server and client certificates made by `openssl` at test time. No certificate, a certificate from another CA
 * with a trusted subject, an unmapped one, mapped subjects and SANs, an API key next to a certificate, the
 * official openai client over mTLS, and reloads that rotate the server certificate and require certificates.
 */
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import OpenAI from 'openai';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { type CertFiles, opensslAvailable, useCerts } from '../helpers/certs.js';
import { type TestGateway, profileFor, useGateway } from '../helpers/gateway.js';

if (!opensslAvailable) console.warn('SKIPPED identity-mtls: no `openssl` binary to make test certificates');

const certs = opensslAvailable ? useCerts() : undefined;
const KEY = 'sk-keyed-CANARY-a41e';

const profile = (tls: string) => `
version: 1
tls: { ${tls} }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  llama: { targets: [{ backend: vllm }] }
  qwen: { targets: [{ backend: vllm }] }
tenants:
  acme: { mtls: { subject: "CN=acme-gw, O=Acme" }, models: [llama] }
  globex: { mtls: { san: "DNS:gw.globex.example" } }
  keyed: { keys: ["${KEY}"] }
`;
const tlsOf = (server: CertFiles, extra = '') =>
  `cert: "${server.cert}", key: "${server.key}", clientCa: "${certs!.ca.cert}"${extra ? `, ${extra}` : ''}`;

const gw: TestGateway | undefined = certs ? await useGateway(profile(tlsOf(certs.server))) : undefined;

interface Answer {
  status?: number;
  body?: string;
  /** The TLS or socket error's code when the handshake or connection failed. */
  error?: string;
  /** The CN of the certificate the gateway presented. */
  server?: string;
}

/** One request on a fresh connection (so each handshake is new), with an optional client certificate. */
function call(path: string, opts: { client?: CertFiles; key?: string; body?: object } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const body = opts.body ? JSON.stringify(opts.body) : undefined;
    const req = request(
      `${gw!.url}${path}`,
      {
        method: body ? 'POST' : 'GET',
        ca: certs!.ca.certPem,
        agent: false,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}) },
        ...(opts.client ? { cert: opts.client.certPem, key: opts.client.keyPem } : {}),
      },
      (res) => {
        let text = '';
        const server = (res.socket as TLSSocket).getPeerCertificate().subject?.CN as string | undefined;
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, body: text, server }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
}

const chat = { model: 'llama', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 2 };
const message = (a: Answer) => (JSON.parse(a.body ?? '{}') as { error?: { message: string } }).error?.message;

describe.skipIf(!certs)('client certificates as tenants over HTTPS', () => {
  it('serves HTTPS and says so in its URL', () => {
    expect(gw!.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  const refusals: { name: string; client?: () => CertFiles; says: RegExp }[] = [
    { name: 'no certificate and no key', says: /client certificate that names a tenant/ },
    { name: 'a certificate from another CA that copies a mapped subject', client: () => certs!.rogueAcme, says: /not signed by/ },
    { name: 'a trusted certificate that no rule maps', client: () => certs!.nobody, says: /names no tenant/ },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name} with 401`, async () => {
      const a = await call('/v1/chat/completions', { body: chat, ...(c.client ? { client: c.client() } : {}) });
      expect(a.status).toBe(401);
      expect(message(a)).toMatch(c.says);
    });
  }

  it('maps a subject and a SAN to their tenants, with the tenant allow-list', async () => {
    expect((await call('/v1/chat/completions', { client: certs!.acme, body: chat })).status).toBe(200);
    expect((await call('/v1/chat/completions', { client: certs!.globex, body: { ...chat, model: 'qwen' } })).status).toBe(200);
    expect((await call('/v1/chat/completions', { client: certs!.acme, body: { ...chat, model: 'qwen' } })).status).toBe(403);
    const listed = JSON.parse((await call('/v1/models', { client: certs!.acme })).body!) as { data: { id: string }[] };
    expect(listed.data.map((m) => m.id)).toEqual(['llama']);
    expect(
      gw!
        .eventsOf('request')
        .slice(-3)
        .map((e) => e.tenant),
    ).toEqual(['acme', 'globex', 'acme']);
  });

  it('lets a credential that is sent decide, even next to a mapped certificate', async () => {
    expect((await call('/v1/chat/completions', { client: certs!.acme, key: KEY, body: { ...chat, model: 'qwen' } })).status).toBe(200);
    expect(gw!.eventsOf('request').at(-1)!.tenant).toBe('keyed');
    expect((await call('/v1/chat/completions', { client: certs!.acme, key: 'sk-wrong', body: chat })).status).toBe(401);
  });

  it('works with the official client over mTLS', async () => {
    const dispatcher = new Agent({ connect: { ca: certs!.ca.certPem, cert: certs!.acme.certPem, key: certs!.acme.keyPem } });
    afterAll(() => dispatcher.close());
    // No key at all (the SDK unsets its Authorization header on request): the certificate names the tenant.
    const client = new OpenAI({
      baseURL: `${gw!.url}/v1`,
      apiKey: 'unused',
      maxRetries: 0,
      defaultHeaders: { authorization: null },
      fetchOptions: { dispatcher } as never,
    });
    expect((await client.chat.completions.create(chat)).object).toBe('chat.completion');
    expect(gw!.eventsOf('request').at(-1)!.tenant).toBe('acme');
    await expect(client.chat.completions.create({ ...chat, model: 'qwen' })).rejects.toMatchObject({ status: 403 });
    // A key that is sent decides, even a wrong one.
    const wrong = new OpenAI({ baseURL: `${gw!.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0, fetchOptions: { dispatcher } as never });
    await expect(wrong.chat.completions.create(chat)).rejects.toMatchObject({ status: 401 });
    const keyed = new OpenAI({ baseURL: `${gw!.url}/v1`, apiKey: KEY, maxRetries: 0, fetchOptions: { dispatcher } as never });
    expect((await keyed.chat.completions.create({ ...chat, model: 'qwen' })).object).toBe('chat.completion');
  });

  it('reloads the server certificate and the client-certificate policy; refuses turning TLS off without a restart', async () => {
    expect((await call('/healthz')).server).toBe('aigw-test');
    const next = profileFor(profile(tlsOf(certs!.server2, 'requireClientCert: true')));
    expect(await gw!.stack.reload(next)).toEqual({ ok: true });
    const none = await call('/healthz');
    expect(none.status).toBeUndefined();
    expect(none.error).toBeDefined();
    const acme = await call('/v1/chat/completions', { client: certs!.acme, body: chat });
    expect(acme).toMatchObject({ status: 200, server: 'aigw-rotated' });
    const plain = profileFor(`
version: 1
backends: { vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } } }
models: { llama: { targets: [{ backend: vllm }] } }
tenants: { keyed: { keys: ["${KEY}"] } }
`);
    const refused = await gw!.stack.reload(plain);
    expect(refused.ok).toBe(false);
    expect(JSON.stringify(refused)).toContain('needs a restart');
  });
});
