/**
 * The sweep at the client connection cap (limits.maxConnections, gateway/server.ts) closes idle kept-alive connections
 * only, and the drain (SIGTERM) waits for the answers under way: an answer whose end is written but not yet taken by its
 * socket (a buffered answer goes out in one write; a slow reader has not read it yet) is still under way, and its
 * connection stays until it is out. From an attacker review of the sweep.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor, type TestGateway, useGateway } from '../helpers/gateway.js';
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

const PROFILE = `
version: 1
limits: { maxConnections: 1, responseBuffer: { mode: buffered, maxBytes: 64Mi } }
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
`;
const gw = await useGateway(PROFILE, { b: backend.url });

type Held = Socket & { _httpMessage?: { writableEnded: boolean } | null };

/**
 * A client that asks for the 8 MB answer and reads none of it: resolves once the gateway has written the answer's end
 * (one write, the whole body) with most of it still in the socket's buffer.
 */
async function slowReader(gateway: TestGateway): Promise<Socket> {
  const accepted: Held[] = [];
  gateway.gateway.server.on('connection', (s: Held) => accepted.push(s));
  const { hostname, port } = new URL(gateway.url);
  const reader = connect(Number(port), hostname);
  reader.pause();
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  reader.write(
    `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
  );
  await eventually(() => {
    const s = accepted[0];
    return s?._httpMessage?.writableEnded === true && s.writableLength > 1024 * 1024;
  });
  return reader;
}

/** Reads the rest: the answer's head and how many bytes of its body came. */
function readOn(reader: Socket): Promise<{ head: string; body: number }> {
  let got = 0;
  let head = '';
  return new Promise((resolve) => {
    const done = () => resolve({ head, body: got - head.indexOf('\r\n\r\n') - 4 });
    reader.on('data', (d: Buffer) => {
      if (!head.includes('\r\n\r\n')) head += d.toString('latin1', 0, Math.min(d.length, 2048));
      got += d.length;
      const at = head.indexOf('\r\n\r\n');
      if (at >= 0 && got >= at + 4 + ANSWER.length) done();
    });
    reader.on('error', () => {});
    reader.on('close', done);
    reader.resume();
  });
}

describe('an answer ended but not yet taken by its slow reader', () => {
  it('is left by the sweep at the connection cap', async () => {
    const reader = await slowReader(gw);
    // Another client is turned away at the cap: the sweep runs.
    const { hostname, port } = new URL(gw.url);
    const other = connect(Number(port), hostname);
    other.on('error', () => {});
    await new Promise<void>((resolve) => other.once('close', () => resolve()));
    // The slow reader reads on: its answer arrives whole, its connection open.
    const { head, body } = await readOn(reader);
    expect(head.startsWith('HTTP/1.1 200')).toBe(true);
    expect(body).toBe(ANSWER.length);
    expect(reader.destroyed).toBe(false);
    reader.destroy();
  });

  it('is waited for by the drain, within its bound', async () => {
    const t = await gatewayFor(PROFILE.replace('maxConnections: 1, ', ''), { b: backend.url });
    const reader = await slowReader(t);
    const drained = t.stack.close(10_000);
    const { head, body } = await readOn(reader);
    await drained;
    expect(head.startsWith('HTTP/1.1 200')).toBe(true);
    expect(body).toBe(ANSWER.length);
  });
});
