/**
 * A CONNECT request (a client that takes the gateway for an HTTP proxy: `HTTPS_PROXY` pointed at it) is refused in the
 * error shape, 405 (attacker review). node:http, with no 'connect' listener, closed the connection without a word — the
 * client saw a reset ("proxy CONNECT aborted"), and nothing said why. It is no proxy: nothing is tunnelled anywhere.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { ONE_MOCK_PROFILE, useGateway } from '../helpers/gateway.js';
import { writeAndReadToClose } from '../helpers/raw.js';

const gw = await useGateway(ONE_MOCK_PROFILE);

describe('CONNECT', () => {
  it('is answered 405 in the error shape, and the connection closes; nothing is tunnelled', async () => {
    const read = await writeAndReadToClose(gw.url, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nhost: 127.0.0.1:22\r\n\r\nSSH-2.0-probe\r\n', 5000);
    expect(read.slice(0, 12)).toBe('HTTP/1.1 405');
    expect(read).toMatch(/\r\nallow: POST, GET\r\n/i);
    expect(read).toContain('"code":"method_not_allowed"');
    expect(read).not.toContain('SSH');
  });

  it('survives a client that resets the connection after the 405 (node:http takes its error listener off the socket)', async () => {
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    const connections = () => new Promise<number>((r, j) => gw.gateway.server.getConnections((e, n) => (e ? j(e) : r(n))));
    try {
      const s = connect(Number(new URL(gw.url).port), '127.0.0.1');
      s.on('error', () => {});
      await new Promise<void>((r) => s.once('connect', () => r()));
      s.write('CONNECT 127.0.0.1:22 HTTP/1.1\r\nhost: 127.0.0.1:22\r\n\r\n');
      await new Promise<void>((r) => s.once('data', () => r()));
      s.resetAndDestroy();
      // The gateway's side sees the reset (and threw it, uncaught) before it lets the connection go.
      await eventually(async () => (await connections()) === 0, 5000);
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(errors.map(String)).toEqual([]);
  });
});
