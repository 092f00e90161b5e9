/**
 * A backend's 2xx labelled with a coding its bytes are not in (a plain JSON answer with `content-encoding: gzip` or
 * `br`: a proxy that labels what it did not compress), though aigw asked for identity (attacker review). The gateway
 * read the bytes as plain (to tell an error object) and passed the answer on with its label: every client's decoder
 * failed on it (undici: Z_DATA_ERROR, a brotli format error) while the gateway counted a 200 and the backend's success.
 * No client can read such an answer, as none can read a coding the gateway cannot read back: 502
 * `bad_upstream_response`, and another target is tried. A real compressed answer still passes.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { OK_CHAT_ANSWER, useRawUpstream } from '../helpers/upstream.js';

const up = await useRawUpstream((socket, request) => {
  const coding = /x-coding: (\w+)/.exec(request)?.[1] ?? 'gzip';
  const real = /x-real: 1/.test(request);
  const body = real ? gzipSync(OK_CHAT_ANSWER) : Buffer.from(OK_CHAT_ANSWER);
  socket.write(
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: ${coding}\r\ncontent-length: ${body.length}\r\n\r\n`,
  );
  socket.write(body);
});
const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{up}}" }
models:
  m: { targets: [{ backend: b }] }
`,
  { up: up.url },
);

const ask = (headers: Record<string, string>) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
  });

describe('a 2xx labelled with a coding its bytes are not in', () => {
  // deflate too: raw deflate (read back for IIS) decodes a start of almost any bytes, plain JSON's included.
  it.each(['gzip', 'br', 'GZIP', 'deflate'])('%s: 502 bad_upstream_response, not an answer no client decodes', async (coding) => {
    const res = await ask({ 'x-coding': coding });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_upstream_response');
  });

  it('a real gzip answer still passes, decoded by the client', async () => {
    const res = await ask({ 'x-coding': 'gzip', 'x-real': '1' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(OK_CHAT_ANSWER);
  });
});
