/**
 * An HTTP/1.1 request without a Host header (attacker review): node:http refused it itself (requireHostHeader) with a
 * bare 400 — an empty chunked body, no error in the API's shape, no x-request-id, nothing logged — before the gateway
 * saw it. RFC 9112 §3.2 has a server answer such a request 400: the gateway does, as it answers any refusal. HTTP/1.0
 * has no Host to require.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { writeAndReadToClose } from '../helpers/raw.js';

const gw = await useGateway(`
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`);

const CHAT = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });

/** Writes `text` on a new connection and reads until the gateway closes it (a refusal closes it), or 2 s. */
const send = (text: string): Promise<string> => writeAndReadToClose(gw.url, text, 2000);

const chatCount = async () => (await gw.mockStats('v')).requests['/v1/chat/completions'] ?? 0;

describe('an HTTP/1.1 request without Host', () => {
  it('is refused 400 in the OpenAI error shape, with its request id, and nothing goes upstream', async () => {
    const before = await chatCount();
    const read = await send(
      `POST /v1/chat/completions HTTP/1.1\r\ncontent-type: application/json\r\nx-request-id: no-host-1\r\ncontent-length: ${CHAT.length}\r\n\r\n${CHAT}`,
    );
    expect(read.slice(0, 12)).toBe('HTTP/1.1 400');
    expect(read).toMatch(/\r\nx-request-id: no-host-1\r\n/i);
    expect(read).toContain('"code":"invalid_request"');
    expect(read).toContain('Host header');
    expect(await chatCount()).toBe(before);
  });

  it("is refused in Anthropic's shape on /v1/messages, and on /healthz in OpenAI's", async () => {
    const messages = await send('POST /v1/messages HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
    expect(messages.slice(0, 12)).toBe('HTTP/1.1 400');
    expect(messages).toContain('"type":"error"');
    expect(messages).toContain('"invalid_request_error"');
    const health = await send('GET /healthz HTTP/1.1\r\n\r\n');
    expect(health.slice(0, 12)).toBe('HTTP/1.1 400');
    expect(health).toContain('"code":"invalid_request"');
  });

  it('is served over HTTP/1.0, which has no Host to require, and with one', async () => {
    const old = await send(
      `POST /v1/chat/completions HTTP/1.0\r\ncontent-type: application/json\r\ncontent-length: ${CHAT.length}\r\n\r\n${CHAT}`,
    );
    expect(old.slice(0, 12)).toBe('HTTP/1.1 200');
    const withHost = await send(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${CHAT.length}\r\n\r\n${CHAT}`,
    );
    expect(withHost.slice(0, 12)).toBe('HTTP/1.1 200');
  });
});
