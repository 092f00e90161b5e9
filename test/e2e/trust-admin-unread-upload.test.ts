/**
 * The admin listener and a request body none of its routes reads. node:http reads and drops such a body for as long as
 * the client sends it (up to timeouts.request, 30 s by default) — before a key is checked, so with `admin.key` set any
 * peer that reaches the listener could keep the gateway's event loop reading: 2 GB in 8 s on one connection. As the
 * gateway's listener does after a refusal (gateway/handle.ts refuse), at most 64 KiB more are read, then it closes.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
admin: { key: admin-secret }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`);

/** Far more than the 64 KiB read and the loopback socket buffers hold: a listener still reading past it reads on. */
const ENOUGH = 256 * 1024 * 1024;

/**
 * Sends `head` announcing a body of 100 GB, then uploads as fast as the listener reads, until it closes the connection
 * or ENOUGH bytes went: the answer's status line and whether it closed.
 */
function upload(head: string): Promise<{ status: string; closed: boolean; sent: number }> {
  const { hostname, port } = new URL(gw.adminUrl);
  return new Promise((resolve) => {
    let text = '';
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const done = (closed: boolean) => resolve({ status: text.split('\r\n')[0] ?? '', closed, sent });
    const s = connect(Number(port), hostname, () => {
      s.write(head);
      const pump = (): void => {
        while (!s.destroyed) {
          if (sent >= ENOUGH) {
            s.removeAllListeners('close');
            s.destroy();
            return done(false);
          }
          sent += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
      };
      pump();
    });
    s.on('data', (d) => (text += d));
    s.on('error', () => {});
    s.on('close', () => done(true));
  });
}

const head = (line: string, auth: string) =>
  `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}content-type: application/octet-stream\r\ncontent-length: 100000000000\r\n\r\n`;

describe('an upload to the admin listener', () => {
  it.each([
    ['refused 401 (no key)', 'POST /aigw/reset', '', '401'],
    ['refused 404 (no route)', 'POST /nothing', 'authorization: Bearer admin-secret\r\n', '404'],
    ['answered (a route that reads no body)', 'POST /aigw/reset', 'authorization: Bearer admin-secret\r\n', '200'],
    ['answered /metrics', 'GET /metrics', 'authorization: Bearer admin-secret\r\n', '200'],
  ])(
    '%s: read up to a bound after the answer, then the connection closes',
    async (_name, line, auth, status) => {
      const r = await upload(head(line, auth));
      expect(r.status).toContain(` ${status} `);
      // Before: still open, reading, after 256 MB (2 GB in 8 s measured).
      expect(r.closed, `still reading after ${r.sent} bytes`).toBe(true);
      expect(r.sent).toBeLessThan(ENOUGH);
    },
    30_000,
  );

  it('a body that ends within the bound leaves the connection for the next request', async () => {
    const { hostname, port } = new URL(gw.adminUrl);
    const text = await new Promise<string>((resolve) => {
      let got = '';
      const s = connect(Number(port), hostname, () => {
        const body = 'x'.repeat(1000);
        const req = (path: string) =>
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nauthorization: Bearer admin-secret\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
        s.write(req('/aigw/reset') + req('/aigw/reset'));
      });
      s.on('data', (d) => {
        got += d;
        if (got.split('HTTP/1.1 200').length === 3) {
          s.destroy();
          resolve(got);
        }
      });
      s.on('close', () => resolve(got));
    });
    expect(text.split('HTTP/1.1 200').length).toBe(3);
  });
});
