/**
 * A request the HTTP layer refuses (a header block past the limit, bytes that are not HTTP) on a connection whose earlier
 * answer is still being written — a pipelining client's second request while its first streams (attacker review). The
 * gateway's clientError handler wrote its refusal onto the socket at once: the raw `HTTP/1.1 431 …` landed inside the
 * chunked body of the answer in flight (the client's parser met it where a chunk size was due) and ended the connection
 * under it, so the first answer was cut, unframed, where it stood. node:http's own handler at least never writes into an
 * answer under way. Now the refusal waits for the answers before it, which end whole, then closes the connection.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway, ONE_BACKEND_PROFILE } from '../helpers/gateway.js';
import { useServer } from '../helpers/upstream.js';

let go: () => void = () => {};
const chunk = (o: object) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', ...o })}\n\n`;
const url = await useServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'first' }, finish_reason: null }] }));
    go = () =>
      res.end(
        chunk({ choices: [{ index: 0, delta: { content: ' second' }, finish_reason: 'stop' }] }) +
          chunk({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }) +
          'data: [DONE]\n\n',
      );
  });
});
const gw = await useGateway(ONE_BACKEND_PROFILE, { b: url });

const BODY = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
const STREAM = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`;

describe('a request refused by the HTTP layer while an earlier answer streams on its connection', () => {
  it.each([
    ['headers past the limit', `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['bytes that are not HTTP', 'NOT HTTP AT ALL\r\n\r\n', 400],
  ])('with %s: the stream ends whole, then the refusal, then the close', async (_k, bad, status) => {
    let read = '';
    let closed = false;
    const s = connect(Number(new URL(gw.url).port), '127.0.0.1', () => s.write(STREAM));
    s.on('data', (d) => (read += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => (closed = true));
    await eventually(() => read.includes('"content":"first"'), 5000);
    // Once the gateway's own clientError listener has run (this one is called after it), the rest of the stream comes.
    const refused = new Promise<void>((r) => gw.gateway.server.once('clientError', () => r()));
    s.write(bad);
    await refused;
    go();
    await eventually(() => closed, 5000);
    // The stream's chunked body ends with its last chunk; the refusal comes after it, never inside it.
    const end = read.indexOf('\r\n0\r\n\r\n');
    expect(end).toBeGreaterThan(0);
    const stream = read.slice(0, end);
    expect(stream).toContain('data: [DONE]');
    expect(stream).not.toContain('HTTP/1.1 4');
    expect(read.slice(end + 7, end + 7 + 12)).toBe(`HTTP/1.1 ${status}`);
  });
});
