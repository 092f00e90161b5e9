/**
 * A 2xx answer that opens with a byte-order mark split across reads and whitespace (given back as spaces once the
 * body is told from its first bytes, relay/error-head.ts), under each response-buffer policy, framed by a length or
 * by chunks: the answer whole and as long as it came, its content-length true — and a lead past the buffer handled
 * as any answer past it is (502, Envoy's 500, or the cut). From an attacker review of the change.
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const ANSWER = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }],
});

const backend = await useUpstream((_req, res, body) => {
  const n = Number(/lead (\d+)/.exec(body)?.[1] ?? 0);
  const chunked = body.includes('chunked');
  const first = Buffer.from(`\uFEFF${'\r\n\t '.repeat(n / 4)}`);
  res.writeHead(200, {
    'content-type': 'application/json',
    ...(chunked ? {} : { 'content-length': String(first.length + ANSWER.length) }),
  });
  res.write(first.subarray(0, 2)); // a split mark
  setTimeout(() => {
    res.write(first.subarray(2));
    setTimeout(() => res.end(ANSWER), 20);
  }, 20);
});

const get = async (url: string, content: string) => {
  const r = await rawPost(`${url}/v1/chat/completions`, { model: 'zm', messages: [{ role: 'user', content }] });
  return { status: r.status, raw: r.body, cl: r.headers['content-length'] as string | undefined, complete: r.ended === 'complete' };
};

const yaml = (buffer: string) => `
version: 1
limits: { responseBuffer: ${buffer} }
backends:
  z: { url: "{{z}}", apiKey: "k" }
models:
  zm: { targets: [{ backend: z }] }
`;

describe('a 2xx answer after a mark and whitespace, under each buffer policy', () => {
  for (const policy of [
    '{ mode: passthrough }',
    '{ mode: buffered, maxBytes: 10Ki, onOverflow: error }',
    '{ mode: buffered, maxBytes: 10Ki, onOverflow: truncate }',
    '{ mode: buffered, maxBytes: 10Ki, onOverflow: envoy }',
  ]) {
    it(`${policy}: small lead, whole answer, length true`, async () => {
      const gw = await gatewayFor(yaml(policy), { z: backend.url });
      try {
        for (const framing of ['', ' chunked']) {
          const r = await get(gw.url, `lead 400${framing}`);
          expect(r.status).toBe(200);
          expect(r.raw.length).toBe(3 + 400 + ANSWER.length);
          if (r.cl) expect(Number(r.cl)).toBe(r.raw.length);
          expect(r.raw.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(true);
          expect(JSON.parse(r.raw.toString().slice(1)).id).toBe('x');
        }
        for (const framing of ['', ' chunked']) {
          const r = await get(gw.url, `lead 20000${framing}`);
          if (policy.includes('passthrough')) {
            expect(r.status).toBe(200);
            expect(r.raw.length).toBe(3 + 20000 + ANSWER.length);
          } else if (policy.includes('error')) expect(r.status).toBe(502);
          else if (policy.includes('envoy')) expect(r.status).toBe(500);
          else {
            expect(r.status).toBe(200);
            expect(r.raw.length).toBe(10 * 1024);
            expect(r.complete).toBe(false);
          }
        }
      } finally {
        await gw.close();
      }
    });
  }
});
