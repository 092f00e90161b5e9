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
  b: { url: http://127.0.0.1:0, mock: { kind: vllm } }
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

describe('limits.maxConnections', () => {
  it('holds that many client connections; one more is closed as it is accepted, the ones open are still served', async () => {
    expect((await tryConnection()).served).toBe(true);
    expect((await tryConnection()).served).toBe(true);
    expect((await tryConnection()).served).toBe(false);
    // The two held connections are kept alive and still answer.
    const again = await new Promise<string>((resolve) => {
      held[0]!.once('data', (d) => resolve(d.toString('latin1')));
      held[0]!.write(`GET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n`);
    });
    expect(again.startsWith('HTTP/1.1 200')).toBe(true);
  });

  it('a reload raises it for the connections accepted after it', async () => {
    expect(await gw.stack.reload(profileFor(yaml(4)))).toEqual({ ok: true });
    expect((await tryConnection()).served).toBe(true);
    for (const s of held) s.destroy();
  });
});
