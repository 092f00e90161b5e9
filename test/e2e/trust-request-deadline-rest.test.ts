/**
 * A request whose body is cut at timeouts.request is answered 408 and never served: not when the rest of its body
 * arrives after the answer. Node gives up on the request (clientError) but its parser still reads the connection,
 * and the answer was written with socket.end() (half-open): the rest of a body that came late completed the request
 * the client had been told was refused — the gateway sent it upstream, a generation the client would retry.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
timeouts: { request: 300ms }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
`);
const connections = () => new Promise<number>((r, j) => gw.gateway.server.getConnections((e, n) => (e ? j(e) : r(n))));
const chatCount = async () => (await gw.mockStats('vllm')).requests['/v1/chat/completions'] ?? 0;

describe('a request body cut at the request deadline', () => {
  it('is answered 408 and not sent upstream when the rest of it arrives after the answer', async () => {
    const before = await chatCount();
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
    const s: Socket = connect({ port: Number(new URL(gw.url).port), host: '127.0.0.1', allowHalfOpen: true }, () =>
      s.write(head + body.slice(0, 5)),
    );
    s.on('error', () => {});
    let answer = '';
    await new Promise<void>((resolve) =>
      s.on('data', (d) => {
        answer += d;
        if (answer.includes('"code":"request_timeout"}}')) resolve();
      }),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    // The rest of the body, late; the client keeps its side open.
    s.write(body.slice(5));
    // Served, the late body reached the mock within milliseconds: half a second is far past that.
    await new Promise((r) => setTimeout(r, 500));
    expect(await chatCount()).toBe(before);
    // And the connection, with the request it began, is let go after the answer's linger.
    await eventually(async () => (await connections()) === 0, 10_000);
    s.destroy();
  });

  it('pipelined behind a streaming answer (its 408 waits for that answer): not sent upstream when its rest arrives meanwhile', async () => {
    // A streams for ~4 s (40 tokens at 10/s); B, pipelined behind it, is cut at 300 ms and told 408 once A is over.
    await fetch(`${gw.mocks.vllm!.url}/mock/control`, { method: 'POST', body: JSON.stringify({ tokensPerSecond: 10 }) });
    try {
      const before = await chatCount();
      const a = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }], max_tokens: 40 });
      const b = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
      const head = (body: string) =>
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
      const s: Socket = connect({ port: Number(new URL(gw.url).port), host: '127.0.0.1', allowHalfOpen: true }, () =>
        s.write(head(a) + a + head(b) + b.slice(0, 5)),
      );
      s.on('error', () => {});
      let answer = '';
      s.on('data', (d) => (answer += d));
      // Past B's deadline (300 ms, checked every 150 ms) by far, A still streaming: the rest of B.
      await eventually(() => answer.includes('data: '), 10_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(answer).not.toContain('[DONE]');
      s.write(b.slice(5));
      await eventually(() => answer.includes(' 408 '), 15_000);
      // Only A reached the backend; A's answer whole before B's 408.
      expect((await chatCount()) - before).toBe(1);
      expect(answer.indexOf('[DONE]')).toBeLessThan(answer.indexOf(' 408 '));
      expect(answer).not.toMatch(/HTTP\/1\.1 200[\s\S]*HTTP\/1\.1 200/);
      s.destroy();
    } finally {
      await fetch(`${gw.mocks.vllm!.url}/mock/control`, { method: 'POST', body: JSON.stringify({ reset: true }) });
    }
  }, 30_000);
});
