/**
 * A request that says `Expect: 100-continue` is told to send its body only once the gateway will read it (attacker
 * review). node:http, with no 'checkContinue' listener, answers `100 Continue` to every such request as its head
 * arrives, before the gateway has looked at it: a client whose key is refused (401), whose path is unknown (404) or whose
 * declared length is over limits.maxRequestBytes (413) was invited to upload the body the gateway then refused — curl
 * sends Expect for any body over 1 MiB, and uploaded 196 KiB of 50 MB before it read its 401. Now those refusals come
 * as the final answer, no 100 before it (RFC 9110 §10.1.1), and the connection closes (its body was never sent); a
 * request the gateway reads is told 100 Continue as its body stage begins.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER);
});
const gw = await useGateway(
  `
version: 1
limits: { maxRequestBytes: 1Ki }
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
tenants:
  t: { keys: [k-expect] }
`,
  { b: up.url },
);

const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 });

interface Conversation {
  socket: Socket;
  read(): string;
  closed: Promise<void>;
}

/** A connection that has sent `head` (and nothing of its body). */
function open(head: string): Conversation {
  let read = '';
  const socket = connect(Number(new URL(gw.url).port), '127.0.0.1', () => socket.write(head));
  socket.on('data', (d) => (read += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  return { socket, read: () => read, closed };
}

const head = (o: { path?: string; key: string; length: number }) =>
  `POST ${o.path ?? '/v1/chat/completions'} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${o.key}\r\n` +
  `content-type: application/json\r\nexpect: 100-continue\r\ncontent-length: ${o.length}\r\n\r\n`;

describe('Expect: 100-continue', () => {
  it.each([
    ['a refused key', { key: 'wrong', length: 100 }, 401],
    ['an unknown path', { path: '/v1/nowhere', key: 'k-expect', length: 100 }, 404],
    ['a declared length over maxRequestBytes', { key: 'k-expect', length: 50_000_000 }, 413],
  ])('%s is answered with its refusal, never 100 Continue first, and the connection closes', async (_k, o, status) => {
    const c = open(head(o));
    await c.closed;
    expect(c.read().slice(0, 12)).toBe(`HTTP/1.1 ${status}`);
    expect(c.read()).not.toContain('100 Continue');
  });

  it('a request the gateway reads is told 100 Continue, then answered once its body comes', async () => {
    const before = up.seen.length;
    const c = open(head({ key: 'k-expect', length: BODY.length }));
    await eventually(() => c.read().includes('\r\n\r\n'), 5000);
    expect(c.read()).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    c.socket.write(BODY);
    await eventually(() => c.read().includes('"ok"'), 5000);
    expect(c.read()).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(up.seen.length - before).toBe(1);
    c.socket.destroy();
  });
});
