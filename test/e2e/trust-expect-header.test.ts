/**
 * A request whose Expect names anything but 100-continue is answered by the gateway like any other (attacker review).
 * node:http answers such a request itself, without a 'checkExpectation' listener: a bare 417 with no body — no error
 * in the API's shape, no x-request-id, nothing logged or counted — before the gateway saw it. HTTP/1.1 defines no other
 * expectation, a server may ignore one it does not know (RFC 9110 §10.1.1), and the gateway never sends Expect upstream.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, ONE_MOCK_PROFILE, useGateway } from '../helpers/gateway.js';

const gw = await useGateway(ONE_MOCK_PROFILE);

const CHAT = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });

function send(text: string): Promise<string> {
  return new Promise((resolve) => {
    let read = '';
    const s = connect(Number(new URL(gw.url).port), '127.0.0.1', () => s.write(text));
    s.on('data', (d) => (read += d));
    s.on('error', () => {});
    void eventually(() => /\r\n\r\n[\s\S]*\}/.test(read) || /HTTP\/1\.1 417/.test(read), 5000)
      .catch(() => {})
      .then(() =>
        setTimeout(() => {
          s.destroy();
          resolve(read);
        }, 100),
      );
  });
}

describe('a request with an Expect other than 100-continue', () => {
  it('is served as the gateway serves it without one, its request id told', async () => {
    const read = await send(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nexpect: foo\r\ncontent-length: ${CHAT.length}\r\n\r\n${CHAT}`,
    );
    expect(read.slice(0, 12)).toBe('HTTP/1.1 200');
    expect(read).toMatch(/x-request-id: /i);
  });

  it('refused for another reason, is refused in the error shape', async () => {
    const read = await send('GET /nowhere HTTP/1.1\r\nhost: x\r\nexpect: foo\r\n\r\n');
    expect(read.slice(0, 12)).toBe('HTTP/1.1 404');
    expect(read).toContain('"code":"not_found"');
  });
});
