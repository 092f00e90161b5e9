/**
 * A gzip 2xx whose first ~4 KiB come a byte an HTTP chunk (one socket write of ~24 KB) and decode to just under
 * 64 KiB of whitespace: the held start was decoded again and scanned whole at every read — ~4,000 read-backs, the
 * event loop held ~0.4 s a request (an attacker review's finding). Now read back only when the start has doubled.
 */
import { request } from 'node:http';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readBacks } from '../../src/relay/encoded-peek.js';
import { keyedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useRawUpstream } from '../helpers/upstream.js';

async function trickleBody(): Promise<Buffer> {
  const head = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  const d = zlib.createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  d.on('data', (c: Buffer) => parts.push(c));
  d.write(Buffer.alloc(60_000, 0x20));
  await new Promise<void>((r) => d.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
  const comp = Buffer.concat(parts);
  // A stored block of spaces: each byte of it decodes to one more space (output stays under 64 KiB).
  const n = 4096 - head.length - comp.length - 5 - 1;
  const stored = Buffer.concat([Buffer.from([0x00, n & 0xff, n >> 8, ~n & 0xff, (~n >> 8) & 0xff]), Buffer.alloc(n, 0x20)]);
  return Buffer.concat([head, comp, stored]);
}

const body = await trickleBody();
const framed = Buffer.concat([
  Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n'),
  ...[...body].map((b) => Buffer.concat([Buffer.from('1\r\n'), Buffer.from([b]), Buffer.from('\r\n')])),
  Buffer.from('0\r\n\r\n'),
]);

const up = await useRawUpstream((socket) => {
  socket.write(framed);
});

const gw = await useGateway(keyedBackendProfile('k'), { z: up.url });

const ask = () =>
  new Promise<number>((resolve, reject) => {
    const u = new URL(`${gw.url}/v1/chat/completions`);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('close', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'zm', messages: [{ role: 'user', content: 'x' }] }));
  });

describe('a compressed 2xx start trickled a byte a chunk', () => {
  it('is read back a few dozen times, not once a read (4,000 reads)', async () => {
    const before = readBacks.count;
    // Whitespace alone is no JSON answer (a 502, as its plain twin is): what counts here is the work its reading cost.
    expect(await ask()).toBe(502);
    expect(readBacks.count - before).toBeLessThan(60);
  });
});
