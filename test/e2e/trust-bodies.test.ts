/**
 * Trust class 8: bodies are bounded in size and time on every listener. After a refusal that comes before
 * the body (401, 404, 405) the gateway reads at most a little more and closes; a 1-byte-per-second upload
 * is cut at the request timeout on the gateway, admin and mock listeners alike.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startMock } from '../../src/mock/server.js';
import { MockSchema } from '../../src/profile/schema.js';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
timeouts: { request: 1s }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k] }
`);

/** Opens a connection, sends a request head, then feeds body bytes on a schedule; resolves with what came back. */
function trickle(
  url: string,
  head: string,
  feed: (s: Socket) => void,
): Promise<{ text: string; closedAfterMs: number; accepted: boolean }> {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  return new Promise((resolve) => {
    let text = '';
    let accepted = true;
    const s = connect(Number(port), hostname, () => {
      s.write(head);
      feed(s);
    });
    s.on('data', (d) => (text += d));
    s.on('error', () => (accepted = false));
    s.on('close', () => resolve({ text, closedAfterMs: performance.now() - started, accepted }));
  });
}

/** Writes one byte a second until the socket closes. */
const oneBytePerSecond = (s: Socket) => {
  const t = setInterval(() => (s.writable ? s.write('x') : clearInterval(t)), 1000);
  s.on('close', () => clearInterval(t));
};

describe('bounded bodies', () => {
  it.each([
    ['401 (no key)', 'POST /v1/chat/completions', ''],
    ['404 (no route)', 'POST /v1/nothing', 'authorization: Bearer k\r\n'],
    ['405 (wrong method)', 'PUT /v1/chat/completions', 'authorization: Bearer k\r\n'],
  ])(
    'after %s stops reading a 100 MB upload: bounded discard, then close',
    async (_name, line, auth) => {
      const head = `${line} HTTP/1.1\r\nHost: x\r\n${auth}content-type: application/json\r\ncontent-length: 100000000\r\n\r\n`;
      let sent = 0;
      const r = await trickle(gw.url, head, (s) => {
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (s.writable && sent < 100_000_000) {
            sent += chunk.length;
            if (!s.write(chunk)) return void s.once('drain', pump);
          }
        };
        pump();
      });
      expect(r.text).toMatch(/^HTTP\/1\.1 40[145]/);
      expect(r.text.toLowerCase()).toContain('connection: close');
      // Far less than the upload, and within seconds (the linger), not however long the client keeps sending.
      expect(sent).toBeLessThan(50_000_000);
      expect(r.closedAfterMs).toBeLessThan(15_000);
    },
    30_000,
  );

  it.each([
    ['the gateway', () => gw.url, 'POST /v1/chat/completions', 'authorization: Bearer k\r\n'],
    ['the admin listener', () => gw.adminUrl, 'POST /aigw/reset', ''],
  ])(
    'cuts a 1-byte-per-second upload on %s at the request timeout',
    async (_name, url, line, auth) => {
      const head = `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}content-type: application/json\r\ncontent-length: 1000\r\n\r\n`;
      const r = await trickle(url(), head, oneBytePerSecond);
      // The gateway reads the body and answers 408; an admin route that ignores bodies may have answered first.
      expect(r.text).toMatch(/^HTTP\/1\.1 (408|200)/);
      // 1 s timeout (+ the check interval): seconds, not the 1000 s the upload would take.
      expect(r.closedAfterMs).toBeLessThan(10_000);
    },
    30_000,
  );

  it('cuts a 1-byte-per-second upload on a mock listener at its request timeout', async () => {
    const mock = await startMock({ ...MockSchema.parse({ kind: 'vllm' }), name: 'slow-upload' }, 0, '127.0.0.1', 1000);
    try {
      const head = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n';
      const r = await trickle(mock.url, head, oneBytePerSecond);
      expect(r.text).toMatch(/^HTTP\/1\.1 408|^$/);
      expect(r.closedAfterMs).toBeLessThan(10_000);
    } finally {
      await mock.close();
    }
  }, 30_000);
});
