/**
 * A body over a mock's 64 MiB bound is answered 413 in the mock's error shape — the client sees it. The reader
 * destroyed the request at the bound, and the socket with it: the 413 the server then wrote went nowhere, and the
 * client, still uploading, saw ECONNRESET (node:http and fetch alike; openai-node retries a connection error, so the
 * body went up three times).
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/mock/http.js';
import { useMock } from '../helpers/mocks.js';

const mock = await useMock({ name: 'bounded', kind: 'vllm' });
const url = `${mock.url}/v1/chat/completions`;
const big = Buffer.alloc(MAX_BODY_BYTES + 1024 * 1024, 0x20);

describe('a body over the mock bound', () => {
  it('is answered 413 over node:http', async () => {
    const answer = await new Promise<{ status: number; body: string } | string>((resolve) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': big.length } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
        res.on('error', (e) => resolve(`response error: ${e.message}`));
      });
      req.on('error', (e) => resolve(`request error: ${e.message}`));
      req.end(big);
    });
    expect(answer).toMatchObject({ status: 413 });
    const { error } = JSON.parse((answer as { body: string }).body) as { error: { code: number; message: string } };
    expect(error).toMatchObject({ code: 413, message: 'request body too large' });
  }, 60_000);

  it('is answered 413 over fetch', async () => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big }).then(
      (res) => res.status,
      (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message,
    );
    expect(r).toBe(413);
  }, 60_000);

  it('still answers a body within the bound', async () => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(r.status).toBe(200);
  });
});
