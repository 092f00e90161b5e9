/**
 * Requests read whole, pipelined ahead of a next request node:http refuses, each waiting on its JWT's verification (its
 * body read only once the token is): trust-refused-next-request spared only the request being parsed at the refusal —
 * the one before it, its 'end' still to come, was dropped as the refused connection's, and the refusal went out at once
 * (its answer not begun), taking the spared one with it: neither answered, nothing sent upstream. Every request read
 * whole before the refusal is served now, in order, then the refusal.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { jwtTenantProfile } from '../helpers/jwt-gateway.js';
import { writeAndReadToClose } from '../helpers/raw.js';
import { jwks, jwksFile, signingKey, token } from '../unit/auth/jwt-fixtures.js';

const ec = await signingKey('ec-1', 'ES256');
const gw = await useGateway(jwtTenantProfile(jwksFile(jwks(ec))));
const bearer = await token(ec);

const chats = async () => (await gw.mockStats('vllm')).requests['/v1/chat/completions'] ?? 0;
const body = JSON.stringify({ model: 'llama', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 });
const chat = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nauthorization: Bearer ${bearer}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;

describe('requests read whole before a refused next one, each waiting on its token', () => {
  it.each([
    ['one', 1, 'GET /x HTTP/1.1\r\nHost: x\r\ncontent-length: 1 2\r\n\r\n', 400],
    ['two', 2, 'GET /x HTTP/1.1\r\nHost: x\r\ncontent-length: 1 2\r\n\r\n', 400],
    ['three, then a head past the limit', 3, `GET /x HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ])('%s: each is answered, then the refusal', async (_name, n, next, status) => {
    const before = await chats();
    const read = await writeAndReadToClose(gw.url, chat.repeat(n) + next, 10_000);
    expect(read.match(/HTTP\/1\.1 \d{3}/g)).toEqual([...Array(n).fill('HTTP/1.1 200'), `HTTP/1.1 ${status}`]);
    expect((await chats()) - before).toBe(n);
  });
});
