/**
 * A gateway without tenants answers programs, not web pages: a page whose DNS name was rebound to 127.0.0.1 (or
 * any cross-site page) would otherwise send completions paid with the backends' keys and read the answers.
 * Browsers name the page in Origin and the name they looked up in Host; the SDKs send neither.
 */
import { request } from 'node:http';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const CHAT = JSON.stringify({ model: 'llama', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
const MESSAGES = JSON.stringify({ model: 'llama', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });

/** A request as a browser page sends it: its own Host and Origin, whatever the socket's address. */
function asPage(url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      {
        host: '127.0.0.1',
        port: u.port,
        path: u.pathname,
        method: body ? 'POST' : 'GET',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const upstreamAnswer = JSON.stringify({
  id: 'c1',
  object: 'chat.completion',
  created: 1,
  model: 'llama-up',
  choices: [{ index: 0, message: { role: 'assistant', content: 'secret answer' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
});

describe('a gateway without tenants', async () => {
  const up = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(upstreamAnswer));
  const gw = await useGateway(
    `
version: 1
backends:
  hosted: { url: "{{UP}}", apiKey: sk-the-operators-key }
models:
  llama: { targets: [{ backend: hosted, model: llama-up }] }
`,
    { UP: up.url },
  );
  const port = new URL(gw.url).port;

  it('refuses a page whose name was rebound to loopback: 403, nothing reaches the backend', async () => {
    const before = up.seen.length;
    for (const host of [`rebind.evil.example:${port}`, `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`]) {
      const chat = await asPage(`${gw.url}/v1/chat/completions`, { host, origin: `http://${host}` }, CHAT);
      expect(chat.status, host).toBe(403);
      expect(JSON.parse(chat.body).error.type).toBe('permission_error');
      expect(chat.body).toContain('a gateway without tenants');
      // A GET carries no Origin; to HTTPS and localhost, browsers add Sec-Fetch-Site.
      const models = await asPage(`${gw.url}/v1/models`, { host, 'sec-fetch-site': 'same-origin' });
      expect(models.status, host).toBe(403);
      expect(models.body).not.toContain('llama');
    }
    expect(up.seen.length).toBe(before);
  });

  it('refuses a cross-site page by its Origin, in each API’s own error shape', async () => {
    const host = `127.0.0.1:${port}`;
    const chat = await asPage(`${gw.url}/v1/chat/completions`, { host, origin: 'https://evil.example' }, CHAT);
    expect(chat.status).toBe(403);
    expect(JSON.parse(chat.body).error).toMatchObject({ type: 'permission_error' });
    const messages = await asPage(`${gw.url}/v1/messages`, { host, origin: 'null', 'anthropic-version': '2023-06-01' }, MESSAGES);
    expect(messages.status).toBe(403);
    expect(JSON.parse(messages.body)).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    expect(messages.body).not.toContain('sk-the-operators-key');
  });

  it('answers programs by address or localhost, and the SDK', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      const r = await asPage(`${gw.url}/v1/chat/completions`, { host }, CHAT);
      expect(r.status, host).toBe(200);
      expect(r.body).toContain('secret answer');
    }
    const sdk = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const c = await sdk.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'hi' }] });
    expect(c.choices[0]!.message.content).toBe('secret answer');
  });

  it('answers a program under any Host: behind a proxy that keeps the client’s (nginx `proxy_set_header Host $host`)', async () => {
    const r = await asPage(`${gw.url}/v1/chat/completions`, { host: 'api.example.com', 'x-forwarded-for': '203.0.113.9' }, CHAT);
    expect(r.status).toBe(200);
    expect((await asPage(`${gw.url}/healthz`, { host: `aigw.svc:${port}` })).status).toBe(200);
  });
});

describe('with tenants, the key is the guard', async () => {
  const gw = await useGateway(`
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  llama: { targets: [{ backend: v, model: llama-up }] }
tenants:
  team: { keys: [sk-team-key] }
`);
  const port = new URL(gw.url).port;

  it('a keyed client is served under any name', async () => {
    const r = await asPage(`${gw.url}/v1/chat/completions`, { host: `aigw.internal:${port}`, authorization: 'Bearer sk-team-key' }, CHAT);
    expect(r.status).toBe(200);
  });

  it('a page without the key is refused as any client without one', async () => {
    const r = await asPage(`${gw.url}/v1/chat/completions`, { host: `rebind.evil.example:${port}` }, CHAT);
    expect(r.status).toBe(401);
  });
});
