/**
 * A request target in absolute form (`POST http://gateway/v1/chat/completions`: what a client sends through a
 * forward proxy, or with the gateway as its HTTP proxy) is served as its path (attacker review). RFC 9112 §3.2.2: a
 * server MUST accept it; Envoy does. The gateway read the whole URL as the path: 404 `no route` for every request.
 */
import { describe, expect, it } from 'vitest';
import { ONE_MOCK_PROFILE, useGateway } from '../helpers/gateway.js';
import { writeAndReadToClose } from '../helpers/raw.js';

const gw = await useGateway(ONE_MOCK_PROFILE);
const CHAT = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });

const send = (text: string) => writeAndReadToClose(gw.url, text, 5000);

describe('a request target in absolute form', () => {
  it.each([
    ['http://127.0.0.1/v1/chat/completions', 'POST', CHAT, 200, '"object":"chat.completion"'],
    ['HTTP://gateway.example:8080/v1/models?x=1', 'GET', '', 200, '"object":"list"'],
    ['https://gateway.example/healthz', 'GET', '', 200, '"status":"ok"'],
    ['http://gateway.example', 'GET', '', 404, '"code":"not_found"'],
    ['http://gateway.example/nowhere', 'GET', '', 404, 'no route for GET /nowhere"'],
  ])('%s is served as its path', async (target, method, body, status, contains) => {
    const read = await send(
      `${method} ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\n` +
        `content-length: ${body.length}\r\n\r\n${body}`,
    );
    expect(read.slice(0, 12)).toBe(`HTTP/1.1 ${status}`);
    expect(read).toContain(contains);
  });

  it('on the admin listener too: its metrics and stats are served as their paths', async () => {
    for (const [target, contains] of [
      ['http://admin.example/metrics', '# TYPE aigw_inflight_requests gauge'],
      ['http://admin.example/aigw/stats?x=1', '"models"'],
    ]) {
      const read = await writeAndReadToClose(gw.adminUrl, `GET ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`, 5000);
      expect(read.slice(0, 12), target).toBe('HTTP/1.1 200');
      expect(read, target).toContain(contains);
    }
  });

  it("refused by the HTTP layer on /v1/messages, is refused in Anthropic's shape, as in origin form", async () => {
    const read = await send(`POST http://gateway.example/v1/messages HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(read.slice(0, 12)).toBe('HTTP/1.1 431');
    expect(read).toContain('"type":"error"');
  });
});
