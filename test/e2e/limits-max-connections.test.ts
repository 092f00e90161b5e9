/**
 * `limits.maxConnections`: how many client connections the gateway holds at once (default: half its open-file
 * limit, test/unit/gateway/connection-cap.test.ts). One more is closed as it is accepted, and those open are served
 * as before; a reload sets a new cap for the connections accepted after it.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { profileFor, useGateway } from '../helpers/gateway.js';

const yaml = (cap: number) => `
version: 1
limits: { maxConnections: ${cap} }
backends:
  b: { url: http://127.0.0.1:0, mock: { kind: vllm, ttft: 0ms, tokensPerSecond: 50 } }
models:
  m: { targets: [{ backend: b }] }
`;

const gw = await useGateway(yaml(2));
const { hostname, port } = new URL(gw.url);
const held: Socket[] = [];

/** A connection, and whether the gateway answers a request on it (false: it was closed as it was accepted). */
function tryConnection(): Promise<{ socket: Socket; served: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    held.push(socket);
    let got = '';
    socket.on('error', reject);
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) resolve({ socket, served: got.startsWith('HTTP/1.1 200') });
    });
    socket.on('close', () => resolve({ socket, served: false }));
    socket.write(`GET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n`);
  });
}

/** Resolves once `socket` has closed. */
const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

/** A request answered on a held connection, or false when it was closed first. */
const servedOn = (socket: Socket) =>
  new Promise<boolean>((resolve) => {
    if (socket.destroyed) return resolve(false);
    socket.once('data', (d) => resolve(d.toString('latin1').startsWith('HTTP/1.1 200')));
    socket.once('close', () => resolve(false));
    socket.write(`GET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n`);
  });

/**
 * New connections, a few hundred ms apart (a client retrying), until one is served: each turned away at the cap
 * sweeps the connections idle past 2 s (the sweep's own pace is 250 ms). The attempts it took.
 */
async function untilServed(): Promise<number> {
  for (let attempt = 1; attempt <= 40; attempt++) {
    if ((await tryConnection()).served) return attempt;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error('never served');
}

describe('limits.maxConnections', () => {
  it('holds that many client connections; one more is closed as it is accepted, and the idle kept-alive ones go so the next fits', async () => {
    const first = await tryConnection();
    const second = await tryConnection();
    expect([first.served, second.served]).toEqual([true, true]);
    expect((await tryConnection()).served).toBe(false);
    // Just answered, they are in use: the sweep that turning one away set off leaves them.
    expect(await servedOn(first.socket)).toBe(true);
    // A client holding the cap with idle kept-alive connections (a request a minute keeps each) shut every other
    // client out for as long; as nginx reuses its keep-alive connections when it runs out, those idle past 2 s are
    // closed — and the client that was turned away gets in on a retry (openai-node retries a failed connection).
    expect(await untilServed()).toBeGreaterThan(1);
    await Promise.all([closed(first.socket), closed(second.socket)]);
  });

  it('never closes a connection whose answer is under way: only idle ones make room', async () => {
    for (const s of held.splice(0)) s.destroy();
    // One connection streams (its answer paced by the mock), the other is idle; a third is turned away.
    const streaming = connect(Number(port), hostname);
    held.push(streaming);
    let streamed = '';
    const began = new Promise<void>((resolve) =>
      streaming.on('data', (d) => {
        streamed += d.toString('latin1');
        if (streamed.includes('data: ')) resolve();
      }),
    );
    const body = JSON.stringify({ model: 'm', stream: true, max_tokens: 150, messages: [{ role: 'user', content: 'hi' }] });
    streaming.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    await began;
    const idle = await tryConnection();
    expect(idle.served).toBe(true);
    expect((await tryConnection()).served).toBe(false);
    await untilServed();
    await closed(idle.socket);
    // The stream goes on to its end.
    await new Promise<void>((resolve) => streaming.on('data', () => streamed.includes('[DONE]') && resolve()));
    expect(streaming.destroyed).toBe(false);
  });

  it('a reload raises it for the connections accepted after it', async () => {
    expect(await gw.stack.reload(profileFor(yaml(4)))).toEqual({ ok: true });
    expect((await tryConnection()).served).toBe(true);
    for (const s of held) s.destroy();
  });
});
