/**
 * The gateway listener's front door, as RFC 9110 asks of a server and of an intermediary:
 * - a 405 lists every method the path serves (§15.5.6): /healthz and /v1/models answer HEAD as well as GET, and their
 *   405 said `allow: GET` alone (the admin listener's says `GET, HEAD`, trust 283);
 * - a header the client's Connection names is this hop's and is not forwarded (§7.6.1): a client's x-forwarded-for so
 *   named was still folded into the chain the backend reads as the client's address (`6.6.6.6, 127.0.0.1`).
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(OK_CHAT_ANSWER);
});
const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
`,
  { b: up.url },
);

function call(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; allow: string | undefined; body: string }>((resolve, reject) => {
    const req = request(`${gw.url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the front door by method and by hop', () => {
  for (const path of ['/healthz', '/v1/models', '/v1/models/m']) {
    it(`${path}: HEAD is answered, and a 405 says allow: GET, HEAD`, async () => {
      expect((await call('HEAD', path)).status).toBe(200);
      const r = await call('DELETE', path);
      expect(r.status).toBe(405);
      expect(r.allow).toBe('GET, HEAD');
      expect(JSON.parse(r.body).error.code).toBe('method_not_allowed');
    });
  }

  it('forwards no x-forwarded-for the client named in Connection: the chain is the gateway’s word alone', async () => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    const headers = { 'content-type': 'application/json', 'x-forwarded-for': '6.6.6.6', connection: 'keep-alive, X-Forwarded-For' };
    expect((await call('POST', '/v1/chat/completions', headers, body)).status).toBe(200);
    expect(up.seen.at(-1)!.headers['x-forwarded-for']).toBe('127.0.0.1');
    // Not named, the client's chain is kept in front of the address the gateway saw, as before.
    const plain = { 'content-type': 'application/json', 'x-forwarded-for': '6.6.6.6' };
    expect((await call('POST', '/v1/chat/completions', plain, body)).status).toBe(200);
    expect(up.seen.at(-1)!.headers['x-forwarded-for']).toBe('6.6.6.6, 127.0.0.1');
  });
});
