/**
 * The sweep at the client connection cap (limits.maxConnections, gateway/server.ts) closes idle kept-alive connections
 * only: an answer whose end is written but not yet taken by its socket (a buffered answer goes out in one write; a
 * slow reader has not read it yet) is still under way, and its connection stays until it is out. From an attacker
 * review of the sweep.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const CONTENT = 'x'.repeat(8 * 1024 * 1024);
const ANSWER = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  model: 'm',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: CONTENT } }],
});

const backend = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(ANSWER.length) });
  res.end(ANSWER);
});

const gw = await useGateway(
  `
version: 1
limits: { maxConnections: 1, responseBuffer: { mode: buffered, maxBytes: 64Mi } }
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
`,
  { b: backend.url },
);
const { hostname, port } = new URL(gw.url);

const accepted: Socket[] = [];
gw.gateway.server.on('connection', (s: Socket) => accepted.push(s));

describe('the sweep at the connection cap', () => {
  it('leaves a connection whose answer is ended but not yet taken by its slow reader', async () => {
    const reader = connect(Number(port), hostname);
    reader.pause();
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    reader.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    // The gateway has written the answer's end (one write, the whole body) with most of it still in the socket.
    await eventually(() => {
      const s = accepted[0] as (Socket & { _httpMessage?: { writableEnded: boolean } | null }) | undefined;
      return s?._httpMessage?.writableEnded === true && s.writableLength > 1024 * 1024;
    });
    // Another client is turned away at the cap: the sweep runs.
    const other = connect(Number(port), hostname);
    other.on('error', () => {});
    await new Promise<void>((resolve) => other.once('close', () => resolve()));
    // The slow reader reads on: its answer arrives whole.
    let got = 0;
    let head = '';
    const total = await new Promise<number>((resolve) => {
      reader.on('data', (d: Buffer) => {
        if (!head.includes('\r\n\r\n')) head += d.toString('latin1', 0, Math.min(d.length, 2048));
        got += d.length;
        const at = head.indexOf('\r\n\r\n');
        if (at >= 0 && got >= at + 4 + ANSWER.length) resolve(got - at - 4);
      });
      reader.on('error', () => {});
      reader.on('close', () => resolve(got - head.indexOf('\r\n\r\n') - 4));
      reader.resume();
    });
    expect(head.startsWith('HTTP/1.1 200')).toBe(true);
    expect(total).toBe(ANSWER.length);
    expect(reader.destroyed).toBe(false);
    reader.destroy();
  });
});
