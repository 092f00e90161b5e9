/**
 * A request answered before its body was read whole — a refusal (401, 404, a 415 transfer coding, a 413 past the
 * limit) or /healthz and /v1/models, which read no body — whose body then breaks HTTP/1.1's framing (a chunk size
 * that is no number): node:http's parser fails in that body, and the gateway's clientError answered it again — a
 * second response, `400 the request is not valid HTTP/1.1`, after the first (after a `connection: close` one, or on a
 * kept-alive connection whose client takes it for the answer to its next request). node:http's own handler writes
 * nothing once an answer went out; the connection now just closes after the one answer.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { writeAndReadToClose } from '../helpers/raw.js';

const gw = await useGateway(`
version: 1
limits: { maxRequestBytes: 1Ki }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [sk-t] }
`);

/** Writes `text` on a new connection in one write; what came back once the gateway closed it. */
const exchange = (text: string) => writeAndReadToClose(gw.url, text, 10_000);

const BROKEN = 'zz\r\n';
const head = (line: string, headers: string) => `${line} HTTP/1.1\r\nHost: x\r\n${headers}transfer-encoding: chunked\r\n\r\n`;

describe('a body that breaks its framing after its request was answered', () => {
  it.each([
    ['/healthz (200, kept alive)', head('GET /healthz', '') + BROKEN, 200],
    ['/v1/models (200, kept alive)', `${head('GET /v1/models', 'authorization: Bearer sk-t\r\n')}5\r\nhello\r\n${BROKEN}`, 200],
    [
      'a wrong key (401)',
      head('POST /v1/chat/completions', 'authorization: Bearer nope\r\ncontent-type: application/json\r\n') + BROKEN,
      401,
    ],
    ['an unknown path (404)', head('POST /v1/nothing', '') + BROKEN, 404],
    [
      'a body past maxRequestBytes (413, kept alive)',
      head('POST /v1/chat/completions', 'authorization: Bearer sk-t\r\ncontent-type: application/json\r\n') +
        `7d0\r\n${'z'.repeat(2000)}\r\n${BROKEN}`,
      413,
    ],
  ])('%s: one answer, then the connection closes', async (_name, text, status) => {
    const read = await exchange(text);
    expect(read.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    expect(read.match(/HTTP\/1\.1 \d{3} /g)).toHaveLength(1);
  });

  it('still refuses a broken request of its own that follows an answered one', async () => {
    const read = await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\ncontent-length: 1 2\r\n\r\n');
    expect(read.match(/HTTP\/1\.1 \d{3} /g)).toEqual(['HTTP/1.1 200 ', 'HTTP/1.1 400 ']);
  });
});
