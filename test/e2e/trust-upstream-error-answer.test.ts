/**
 * A 200 whose body is an error object echoing the gateway's key is read as an error and scrubbed (exchange.ts,
 * relay/error-head.ts) — compressed too (aigw asks for identity; a backend may compress anyway): its first bytes are
 * read back (relay/encoded-peek.ts), and so is a compressed refusal's message. Whitespace first, however much, does
 * not hide it (it passed whole after more than 4 KiB of it): skipped while the head is told, and given back before an
 * answer. trust-upstream-error-spacing.test.ts has whitespace elsewhere, escapes and mislabelled codings.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { keyedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const SECRET = 'sk-backend-secret-gz-4321';
const CODERS: Record<string, (b: Buffer) => Buffer> = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };
const ANSWER = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }],
});

const backend = await useUpstream((req, res, body) => {
  const error = JSON.stringify({ error: { message: `auth failed for ${req.headers.authorization}` } });
  const m = /(answer|error|refusal) (gzip|deflate|br)/.exec(body);
  if (m) {
    const bytes = CODERS[m[2]!]!(Buffer.from(m[1] === 'answer' ? ANSWER : error));
    const headers = { 'content-type': 'application/json', 'content-encoding': m[2]!, 'content-length': String(bytes.length) };
    // A refusal's bytes in two reads: its first ones alone say nothing yet.
    res.writeHead(m[1] === 'refusal' ? 400 : 200, headers).write(bytes.subarray(0, 4));
    return setTimeout(() => res.end(bytes.subarray(4)), 20);
  }
  if (body.includes('mislabelled')) {
    return res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(error);
  }
  const stream = /stream (lines|spaces)/.exec(body);
  if (stream) {
    // A stream was asked for: blank lines (or a run of spaces) first, in a read of their own, then an error object.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(stream[1] === 'lines' ? '\n'.repeat(5000) : ' '.repeat(5000));
    return setTimeout(() => res.end(error), 50);
  }
  const lead = /(blank|marked|lines) (error|answer)/.exec(body);
  if (lead) {
    // The whitespace (after a byte-order mark, for `marked`) in reads of its own, the error or the answer in the next.
    const pad = lead[1] === 'lines' ? '\r\n'.repeat(200_000) : ' '.repeat(5000);
    const rest = lead[2] === 'error' ? error : ANSWER;
    const first = Buffer.from(`${lead[1] === 'marked' ? '\uFEFF' : ''}${pad}`);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(first.length + Buffer.byteLength(rest)) });
    res.write(first.subarray(0, 1));
    res.write(first.subarray(1));
    return setTimeout(() => res.end(rest), 50);
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(error);
});
const gw = await useGateway(keyedBackendProfile(SECRET), { z: backend.url });

const ask = async (content: string) => {
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'zm', messages: [{ role: 'user', content }] }),
  });
  return { status: r.status, text: await r.text() };
};

describe("a 200 whose body is an error object echoing the gateway's key", () => {
  it('plain: 502, scrubbed', async () => {
    const r = await ask('plain');
    expect(r.status).toBe(502);
    expect(r.text).not.toContain(SECRET);
  });

  it.each(Object.keys(CODERS))('%s-encoded: read back as the error it is, 502, the key never reaches the client', async (coding) => {
    const r = await ask(`error ${coding}`);
    expect(r.status).toBe(502);
    expect(r.text).toContain('auth failed for');
    expect(r.text).not.toContain(SECRET);
  });

  it.each(Object.keys(CODERS))('%s-encoded answer: passed through as it came', async (coding) => {
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'identity' },
      body: JSON.stringify({ model: 'zm', messages: [{ role: 'user', content: `answer ${coding}` }] }),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-encoding')).toBe(coding);
    // fetch decodes it as a client does.
    expect(await r.json()).toMatchObject({ choices: [{ message: { content: 'hi' } }] });
  });

  it('labelled gzip but plain: read as it is, 502, scrubbed', async () => {
    const r = await ask('mislabelled');
    expect(r.status).toBe(502);
    expect(r.text).not.toContain(SECRET);
  });

  it.each(['blank', 'marked', 'lines'])(
    'after %s whitespace (5,000 spaces; a mark and 5,000; 400,000 line ends): the same',
    async (pad) => {
      const r = await ask(`${pad} error`);
      expect(r.status).toBe(502);
      expect(r.text).toContain('auth failed for');
      expect(r.text).not.toContain(SECRET);
    },
  );

  it.each(['blank', 'marked', 'lines'])('an answer after %s whitespace: passed on, as long as it came, the same JSON', async (pad) => {
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'zm', messages: [{ role: 'user', content: `${pad} answer` }] }),
    });
    expect(r.status).toBe(200);
    const bytes = Buffer.from(await r.arrayBuffer());
    const padBytes = pad === 'lines' ? 400_000 : pad === 'marked' ? 5003 : 5000;
    expect(bytes.length).toBe(padBytes + ANSWER.length);
    expect(r.headers.get('content-length')).toBe(String(bytes.length));
    expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(pad === 'marked');
    expect(JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''))).toMatchObject({ choices: [{ message: { content: 'hi' } }] });
  });
});

describe("a stream whose first bytes are whitespace, then an error object echoing the gateway's key", () => {
  // The stream has begun by the time the object comes (more than 4 KiB of blank lines are not held): what is not an
  // event is withheld, and the client's SDK is told the answer is cut — never the backend's text.
  it.each(['lines', 'spaces'])('5,000 %s first: the object withheld, the stream ends with an error frame', async (pad) => {
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'zm', stream: true, messages: [{ role: 'user', content: `stream ${pad}` }] }),
    });
    const text = await r.text();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('auth failed');
    expect(text).toMatch(/^data: \{"error":\{.*"code":"upstream_stream_error"\}\}\n\n$/m);
  });
});

describe("a compressed refusal echoing the gateway's key", () => {
  it.each(Object.keys(CODERS))('%s: its message read back and scrubbed', async (coding) => {
    const r = await ask(`refusal ${coding}`);
    expect(r.status).toBe(400);
    expect(r.text).toContain('auth failed for');
    expect(r.text).not.toContain(SECRET);
  });
});
