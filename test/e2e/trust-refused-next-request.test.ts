/**
 * A whole, valid request followed in the same read by a next request node:http refuses (a head past the header limit:
 * 431; bytes that are not HTTP: 400). The refusal concerns the next request, but the gateway marked the connection
 * refused before the first one's body had ended (node:http emits 'end' a tick after its parser read it, the error at
 * once): that request was dropped as if its client had left — never answered, never sent upstream — and the refusal
 * went out alone. It is served now, its answer first, then the refusal and the close (as trust 157 orders them for an
 * answer under way); a body still arriving when its own request is refused (408) is still dropped.
 */
import { describe, expect, it } from 'vitest';
import { ONE_MOCK_PROFILE, useGateway } from '../helpers/gateway.js';
import { writeAndReadToClose } from '../helpers/raw.js';

const gw = await useGateway(ONE_MOCK_PROFILE);

/** Writes `text` on a new connection in one write; what came back once the gateway closed it. */
const exchange = (text: string) => writeAndReadToClose(gw.url, text, 10_000);

const chats = async () => (await gw.mockStats('v')).requests['/v1/chat/completions'] ?? 0;
const body = (stream: boolean) => JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5, stream });
const chat = (stream: boolean) =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${body(stream).length}\r\n\r\n${body(stream)}`;

describe('a valid request read together with a refused next one', () => {
  it.each([
    ['a bad content-length (400)', chat(false), 'GET /x HTTP/1.1\r\nHost: x\r\ncontent-length: 1 2\r\n\r\n', 400],
    ['a streamed chat, a head past the limit (431)', chat(true), `GET /x HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ])('%s: the first is answered, then the refusal', async (_name, first, next, status) => {
    const before = await chats();
    const read = await exchange(first + next);
    expect(read.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', `HTTP/1.1 ${status}`]);
    expect((await chats()) - before).toBe(1);
    if (first.includes('"stream":true')) expect(read).toContain('data: [DONE]');
  });
});
