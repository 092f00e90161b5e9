/**
 * Open (found by an attacker review, not fixed): a 200 whose body is an error object echoing the gateway's key is read as an error
 * and scrubbed (exchange.ts, errorAnswerIn) — unless its first bytes cannot be told from: a compressed body (aigw
 * asked for identity), or one whose first read is more than MAX_HEAD (4 KiB) of JSON whitespace. Both pass through
 * whole, the key in them. `it.fails`: flip to `it` once fixed.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const SECRET = 'sk-backend-secret-gz-4321';
const backend = await useUpstream((req, res, body) => {
  const error = JSON.stringify({ error: { message: `auth failed for ${req.headers.authorization}` } });
  if (body.includes('gzip')) {
    const bytes = gzipSync(error);
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bytes.length) });
    return res.end(bytes);
  }
  if (body.includes('blank')) {
    // The whitespace in its own read, the error object in the next.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(' '.repeat(5000));
    return setTimeout(() => res.end(error), 50);
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(error);
});
const gw = await useGateway(
  `
version: 1
backends:
  z: { url: "{{z}}", apiKey: "${SECRET}" }
models:
  zm: { targets: [{ backend: z }] }
`,
  { z: backend.url },
);

const ask = async (content: string) => {
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'zm', messages: [{ role: 'user', content }] }),
  });
  return { status: r.status, text: await r.text() };
};

describe("a 200 whose body is an error object echoing the gateway's key", () => {
  it('plain: 502, scrubbed (holds today)', async () => {
    const r = await ask('plain');
    expect(r.status).toBe(502);
    expect(r.text).not.toContain(SECRET);
  });

  it.fails('gzip-encoded: read as the error it is, the key never reaches the client', async () => {
    const r = await ask('gzip');
    expect(r.text).not.toContain(SECRET);
  });

  it.fails('after 5,000 spaces: the same', async () => {
    const r = await ask('blank');
    expect(r.text).not.toContain(SECRET);
  });
});
