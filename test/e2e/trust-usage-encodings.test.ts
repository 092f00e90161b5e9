/**
 * A backend names the coding of an answer without usage: one the gateway reads back is counted; any other name —
 * Object.prototype's members included — is refused as unreadable, and the request recorded like any other.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const TENANT_KEY = 'sk-tenant-key-revback-11';
const ANSWER =
  '{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"' +
  'word '.repeat(400) +
  '"},"finish_reason":"stop"}]}';

const up = await useUpstream((_req, res, body) => {
  const enc = /enc=([\w_]+)/.exec(body)?.[1];
  if (enc) {
    const bytes = gzipSync(ANSWER);
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': enc, 'content-length': String(bytes.length) });
    return res.end(bytes);
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER);
});

const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{up}}" }
models:
  m: { targets: [{ backend: b }] }
tenants:
  t: { keys: ["${TENANT_KEY}"], limits: { tpm: 1000000 } }
`,
  { up: up.url },
);

const post = (content: string, body: object = {}) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'm', messages: [{ role: 'user', content }], max_tokens: 1000, ...body },
    { headers: { authorization: `Bearer ${TENANT_KEY}`, 'x-request-id': content } },
  );

describe('a compressed answer without usage, its content-encoding a name Object.prototype holds', () => {
  it('gzip: its output is counted, never 0', async () => {
    const r = await post('enc=gzip');
    expect(r.status).toBe(200);
    const ev = await gw.requestEvent('enc=gzip');
    expect(ev.tokens.output).toBeGreaterThan(0);
  });

  // A coding the gateway cannot read back could carry an error object past it (trust-upstream-error-coded.test.ts):
  // refused, and the request recorded and settled like any other — the name finds nothing Object.prototype holds.
  it.each(['constructor', '__proto__', 'toString', 'valueOf'])('%s: refused as unreadable (502), recorded', async (enc) => {
    const r = await post(`enc=${enc}`);
    expect(r.status).toBe(502);
    expect(r.body.toString()).toContain('bad_upstream_response');
    const ev = await gw.requestEvent(`enc=${enc}`);
    expect(ev.status).toBe(502);
  });
});
