/**
 * A CONNECT refused 405 whose client keeps sending (a byte every 200 ms, its side kept open). The linger after the
 * answer was the socket's idle timer, which every read pushed back: such a client held its connection for good. And
 * node:http hands a CONNECT's socket over with its parser taken off, so closeAllConnections does not know it: the drain
 * waited for it without end — SIGTERM hung for as long as the client went on sending (attacker review).
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, gatewayFor, ONE_MOCK_PROFILE, type TestGateway } from '../helpers/gateway.js';

const opened: Socket[] = [];
const gateways: TestGateway[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) s.destroy();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

/** A client that sends a CONNECT, then a byte every 200 ms with its side kept open; resolves once the 405 is read. */
async function tricklingConnect(gw: TestGateway): Promise<{ closed: () => boolean }> {
  let read = '';
  let closed = false;
  const s = connect({ port: Number(new URL(gw.url).port), host: '127.0.0.1', allowHalfOpen: true }, () =>
    s.write('CONNECT 127.0.0.1:22 HTTP/1.1\r\nhost: 127.0.0.1:22\r\n\r\n'),
  );
  opened.push(s);
  s.on('data', (d) => (read += d));
  s.on('error', () => {});
  const trickle = setInterval(() => s.writable && s.write('a'), 200);
  s.on('close', () => {
    closed = true;
    clearInterval(trickle);
  });
  await eventually(() => read.startsWith('HTTP/1.1 405'), 5000);
  return { closed: () => closed };
}

describe('a refused CONNECT whose client keeps sending', () => {
  it('is closed after the linger all the same', async () => {
    const gw = await gatewayFor(ONE_MOCK_PROFILE);
    gateways.push(gw);
    const c = await tricklingConnect(gw);
    // The linger is 2 s; the client's next write after the gateway's close fails, and its socket closes.
    await eventually(c.closed, 5000);
    expect(c.closed()).toBe(true);
  });

  it('does not hold the drain past its deadline', async () => {
    const gw = await gatewayFor(ONE_MOCK_PROFILE);
    gateways.push(gw);
    await tricklingConnect(gw);
    const started = performance.now();
    let drained = false;
    const drain = gw.gateway.drain(100).then(() => (drained = true));
    // The deadline and a cut (~0.1 s); the linger (2 s) is not waited for, nor the client.
    await eventually(() => drained, 5000);
    expect(performance.now() - started).toBeLessThan(1500);
    await drain;
  });
});
