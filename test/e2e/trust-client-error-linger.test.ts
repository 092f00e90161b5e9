/**
 * A connection the gateway refuses at the HTTP level (a request that is not HTTP/1.1, headers too large, a slowloris
 * or a trickled body cut at timeouts.request) is gone soon after its answer, whatever the client does (attacker
 * review). The answer was written with socket.end(): node:http's sockets are half-open (allowHalfOpen), so the
 * gateway's side stayed open until the client closed its own. After a 408 no deadline was left on it — Node takes the
 * connection off its list of those it checks once it has timed out — and a client that kept its side open, sending
 * nothing more, held a descriptor and a socket for good: a slowloris "cut" at the headers timeout was never let go,
 * and enough of them had all of the gateway's descriptors (its clients refused, its backends unreachable:
 * trust-fd-exhaustion.test.ts). After a 400 or 431 the connection stayed until timeouts.request came round (30 s).
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, type TestGateway, useGateway } from '../helpers/gateway.js';

const profile = (request: string) => `
version: 1
timeouts: { request: ${request} }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`;
const quick = await useGateway(profile('600ms'));
const usual = await useGateway(profile('30s'));

const connections = (gw: TestGateway) => new Promise<number>((r, j) => gw.gateway.server.getConnections((e, n) => (e ? j(e) : r(n))));

const opened: Socket[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.destroy();
});

/** A client that keeps its side open after the gateway's end (as a hostile one does), with what it read. */
function stubborn(gw: TestGateway, send: string): { read: () => string } {
  let read = '';
  const socket = connect({ port: Number(new URL(gw.url).port), host: '127.0.0.1', allowHalfOpen: true }, () => socket.write(send));
  socket.on('data', (d) => (read += d));
  socket.on('error', () => {});
  opened.push(socket);
  return { read: () => read };
}

const SLOWLORIS = 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n';

describe('a connection refused at the HTTP level', () => {
  it.each([
    ['a slowloris cut at timeouts.request', quick, SLOWLORIS, 'HTTP/1.1 408'],
    ['a request that is not HTTP/1.1', usual, '\x01GARBAGE\r\n\r\n', 'HTTP/1.1 400'],
    [
      'headers over the limit',
      usual,
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-pad: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
      'HTTP/1.1 431',
    ],
  ])('%s: answered, then closed on the gateway side though the client keeps its own open', async (_name, gw, send, status) => {
    await eventually(async () => (await connections(gw)) === 0, 5000);
    const c = stubborn(gw, send);
    await eventually(() => c.read().startsWith(status), 5000);
    // The client neither reads on nor closes: the gateway's socket goes anyway, soon after the answer.
    await eventually(async () => (await connections(gw)) === 0, 5000);
  });

  it('a hundred slowloris clients that keep their sockets hold nothing once answered', async () => {
    const clients = Array.from({ length: 100 }, () => stubborn(quick, SLOWLORIS));
    await eventually(() => clients.every((c) => c.read().startsWith('HTTP/1.1 408')), 10_000);
    await eventually(async () => (await connections(quick)) === 0, 5000);
  });

  it('is let go as its client closes, not after the linger (a paused socket never read the close)', async () => {
    await eventually(async () => (await connections(usual)) === 0, 5000);
    const s = connect(Number(new URL(usual.url).port), '127.0.0.1');
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write('GET / HTTP/1.1\r\nbad header line\r\n\r\n');
    await new Promise<void>((r) => s.once('data', () => r()));
    s.end();
    const began = performance.now();
    await eventually(async () => (await connections(usual)) === 0, 10_000);
    // ~10 ms; the linger is 2 s.
    expect(performance.now() - began).toBeLessThan(1000);
  });
});
