/**
 * A 200 whose body is an error object echoing the gateway's backend key, spaced or labelled so that a fixed window of
 * first bytes misses it (an attacker review's findings: each passed the key through before error-head.ts): the
 * object after whitespace in a body labelled gzip but plain, after 70,000 spaces really gzipped (more than the
 * 64 KiB read back), with 300 spaces before its colon, after `{` and 5,000 spaces in a read of their own, with its
 * name spelt in escapes. And what must still pass: a compressed answer whose first bytes decode to more than 64 KiB.
 */
import { request } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { keyedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const SECRET = 'sk-backend-secret-spacing-9876';

const backend = await useUpstream((req, res, body) => {
  const msg = `auth failed for ${req.headers.authorization}`;
  const error = JSON.stringify({ error: { message: msg } });
  const json = { 'content-type': 'application/json' };
  if (body.includes('mislabelled-lead')) {
    // The very bug b6296c9 fixed (5,000 spaces in a read of their own, then the object), but labelled gzip: the
    // lead is only skipped when `coding === undefined`; decodedStart fails on plain bytes, and raw bytes are read.
    res.writeHead(200, { ...json, 'content-encoding': 'gzip' });
    res.write(' '.repeat(5000));
    return setTimeout(() => res.end(error), 50);
  }
  if (body.includes('gzip-lead')) {
    // Really gzip: 70,000 spaces then the object. Decoded it is more than PEEK_OUT (64 KiB), so decodedStart gives
    // undefined and the compressed bytes themselves are read (not `{`): an answer. The client's gunzip sees the key.
    const bytes = gzipSync(Buffer.from(' '.repeat(70_000) + error));
    return res.writeHead(200, { ...json, 'content-encoding': 'gzip', 'content-length': String(bytes.length) }).end(bytes);
  }
  if (body.includes('colon-gap')) {
    // Valid JSON, one read: 300 spaces between the name and its colon. The regex is run over 256 bytes past the name.
    return res.writeHead(200, json).end(`{"error"${' '.repeat(300)}:{"message":${JSON.stringify(msg)}}}`);
  }
  if (body.includes('escaped-name')) {
    return res.writeHead(200, json).end(`{"\\u0065rror":{"message":${JSON.stringify(msg)}}}`);
  }
  if (body.includes('dense-answer')) {
    // An answer that compresses ~1000:1 (an embedding of zeros): its first 4 KiB decode to far more than 64 KiB.
    const answer = JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: new Array(400_000).fill(0) }] });
    const bytes = gzipSync(Buffer.from(answer));
    return res.writeHead(200, { ...json, 'content-encoding': 'gzip', 'content-length': String(bytes.length) }).end(bytes);
  }
  if (body.includes('inner-gap')) {
    // Valid JSON: `{` and 5,000 spaces in a read of their own (> MAX_HEAD: told as `whole`, all blank: "not an
    // error"), then the member.
    res.writeHead(200, json);
    res.write(`{${' '.repeat(5000)}`);
    return setTimeout(() => res.end(`"error":{"message":${JSON.stringify(msg)}}}`), 50);
  }
  res.writeHead(200, json).end(error);
});

const gw = await useGateway(keyedBackendProfile(SECRET), { z: backend.url });

/** The raw bytes the client gets (not decoded), and those decoded if gzip. */
const ask = (content: string) =>
  new Promise<{ status: number; raw: Buffer; text: string }>((resolve, reject) => {
    const u = new URL(`${gw.url}/v1/chat/completions`);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => resolve({ status: res.statusCode!, raw: Buffer.concat(chunks), text: '' }));
        res.on('aborted', () => {});
        res.on('close', () => {
          const raw = Buffer.concat(chunks);
          let text = raw.toString('latin1');
          if (res.headers['content-encoding'] === 'gzip') {
            try {
              text += gunzipSync(raw).toString();
            } catch {
              /* not gzip */
            }
          }
          resolve({ status: res.statusCode!, raw, text });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'zm', messages: [{ role: 'user', content }] }));
  });

describe("a 200 whose error object echoes the backend's key, hidden by spacing or labels: 502, scrubbed", () => {
  it('control: plain error object is a 502, scrubbed', async () => {
    const r = await ask('plain');
    expect(r.status).toBe(502);
    expect(r.text.includes(SECRET), 'the key reached the client').toBe(false);
  });

  it('mislabelled gzip (plain bytes) after 5,000 spaces in their own read', async () => {
    const r = await ask('mislabelled-lead');
    expect(r.status).toBe(502);
    expect(r.text.includes(SECRET), 'the key reached the client').toBe(false);
  });

  it('gzip, 70,000 spaces (decoded past PEEK_OUT) before the object', async () => {
    const r = await ask('gzip-lead');
    expect(r.status).toBe(502);
    expect(r.text.includes(SECRET), 'the key reached the client').toBe(false);
  });

  it('300 spaces between "error" and its colon (one read)', async () => {
    const r = await ask('colon-gap');
    expect(r.status).toBe(502);
    expect(r.text).toContain('auth failed for');
    expect(r.text.includes(SECRET), 'the key reached the client').toBe(false);
  });

  it('`{` then 5,000 spaces in their own read, then "error"', async () => {
    const r = await ask('inner-gap');
    expect(r.status).toBe(502);
    expect(r.text).toContain('auth failed for');
    expect(r.text.includes(SECRET), 'the key reached the client').toBe(false);
  });

  it('its name spelt with an escape (`"\\u0065rror"`, `error` to any JSON parser)', async () => {
    const r = await ask('escaped-name');
    expect(r.status).toBe(502);
    expect(r.text.includes(SECRET), 'the key reached the client').toBe(false);
  });

  it('a gzip answer whose first 4 KiB decode to more than 64 KiB (an embedding of zeros) is still an answer, whole', async () => {
    const r = await ask('dense-answer');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text.slice(r.raw.length)).data[0].embedding).toHaveLength(400_000);
  });
});
