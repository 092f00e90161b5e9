/**
 * Bytes the gateway carries are the bytes it read: an answer's body to the client and a request's body to the backend,
 * whatever their values, at sizes either side of 16 KiB (where a write might be joined to its head or go beside it).
 */
import { describe, expect, it } from 'vitest';
import { ONE_BACKEND_PROFILE, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

/** A JSON answer whose one string holds every byte value from 0x80 up, `size` bytes in all (not valid UTF-8). */
function answerOf(size: number): Buffer {
  const lead = Buffer.from('{"id":"chatcmpl-bytes","object":"chat.completion","note":"');
  const tail = Buffer.from('"}');
  const middle = Buffer.alloc(size - lead.length - tail.length);
  for (let i = 0; i < middle.length; i++) middle[i] = 0x80 + (i % 128);
  return Buffer.concat([lead, middle, tail]);
}

const SIZES = [200, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 100 * 1024];

const backend = await useUpstream((req, res) => {
  const body = answerOf(Number(req.headers['x-size']));
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
const gw = await useGateway(ONE_BACKEND_PROFILE, { b: backend.url });

describe('an answer reaches the client byte for byte', () => {
  it.each(SIZES)('%i bytes, none of them valid UTF-8 text', async (size) => {
    const r = await rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'm', messages: [{ role: 'user', content: 'x' }] },
      { headers: { 'x-size': String(size) } },
    );
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(size));
    expect(r.body.equals(answerOf(size))).toBe(true);
  });
});

describe('a request reaches the backend byte for byte', () => {
  it.each(SIZES)('about %i bytes of astral and accented text', async (size) => {
    const text = '🦊 ünï — Привет '.repeat(Math.ceil(size / 30)).slice(0, Math.floor(size / 2));
    const sent = `{"model":"m","messages":[{"role":"user","content":${JSON.stringify(text)}}]}`;
    const { request } = await import('undici');
    const r = await request(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-size': '200' },
      body: sent,
    });
    await r.body.arrayBuffer();
    expect(r.statusCode).toBe(200);
    expect(backend.seen.at(-1)!.bytes.equals(Buffer.from(sent))).toBe(true);
    expect(backend.seen.at(-1)!.headers['content-length']).toBe(String(Buffer.byteLength(sent)));
  });
});
