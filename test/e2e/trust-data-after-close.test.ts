/**
 * A request that says `Connection: close` (or is HTTP/1.0, where that is the default), followed in the same write by
 * more bytes — a client pipelining anyway: llhttp refuses what follows (`Data after Connection: close`), and the
 * gateway's clientError took that for the connection's refusal: the request before it, whole and valid, was dropped
 * unanswered (its body's end read as the client leaving) and a 400 went out in its place — nothing reached the backend.
 * RFC 9112 §9.6: the server answers that request, processes nothing after it, and closes. Now it does.
 */
import { describe, expect, it } from 'vitest';
import { ONE_MOCK_PROFILE, useGateway } from '../helpers/gateway.js';
import { writeAndReadToClose } from '../helpers/raw.js';

const gw = await useGateway(ONE_MOCK_PROFILE);

/** Writes `text` on a new connection in one write; what came back once the gateway closed it. */
const exchange = (text: string) => writeAndReadToClose(gw.url, text, 10_000);

const chats = async () => (await gw.mockStats('v')).requests['/v1/chat/completions'] ?? 0;
const body = (stream: boolean) => JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5, stream });
const chat = (version: string, extra: string, stream = false) =>
  `POST /v1/chat/completions HTTP/${version}\r\nHost: x\r\ncontent-type: application/json\r\n${extra}content-length: ${body(stream).length}\r\n\r\n${body(stream)}`;

describe('bytes after a request that closes its connection', () => {
  it.each([
    ['Connection: close', chat('1.1', 'connection: close\r\n') + chat('1.1', '')],
    ['Connection: close, streamed', chat('1.1', 'connection: close\r\n', true) + chat('1.1', '')],
    ['HTTP/1.0', chat('1.0', '') + chat('1.1', '')],
  ])('%s: that request is answered, the rest ignored, the connection closed', async (_name, text) => {
    const before = await chats();
    const read = await exchange(text);
    expect(read.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200']);
    expect((await chats()) - before).toBe(1);
  });
});
