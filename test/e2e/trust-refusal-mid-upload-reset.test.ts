/**
 * A refusal answered while the client is still uploading its body (413 past maxRequestBytes; 401, 404 before the
 * body): the client must be able to read it. Closed with the client's bytes unread, the gateway's socket answered them
 * with a reset, and a client still writing (openai-node sending a 5 MB prompt) met ECONNRESET before it read the
 * answer — which openai-node retries as a network failure. And a 413 that kept the connection had undici send its next
 * request behind the rest of the body, where the discard's cap cut it.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
limits: { maxRequestBytes: 64Ki }
tenants:
  t: { keys: ["sk-good"] }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`);

/** Far more than the gateway reads of a refused body plus what loopback socket buffers hold. */
const BODY = 64 * 1024 * 1024;
/** No write accepted for this long: the gateway stopped reading (its answer is due within milliseconds); a twentieth of
 * its 2 s linger, so a client late by a loaded machine still reads before the close. */
const STALLED_MS = 100;

/**
 * Uploads `head` and BODY bytes without reading, as a client that writes its body before it reads the answer; once the
 * upload fails or stalls, reads. What it then read, and the socket error that came before any answer, if one did.
 */
function uploadThenRead(head: string): Promise<{ text: string; error?: string }> {
  const { hostname, port } = new URL(gw.url);
  return new Promise((resolve) => {
    let text = '';
    let error: string | undefined;
    let sent = 0;
    let lastProgress = Date.now();
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const s: Socket = connect(Number(port), hostname, () => {
      s.pause();
      s.write(head);
      const pump = (): void => {
        while (!s.destroyed && sent < BODY) {
          sent += chunk.length;
          if (!s.write(chunk, () => (lastProgress = Date.now()))) return void s.once('drain', pump);
        }
      };
      pump();
      const watch = setInterval(() => {
        if (error === undefined && Date.now() - lastProgress < STALLED_MS && !s.destroyed) return;
        clearInterval(watch);
        s.resume();
      }, 20);
    });
    s.on('data', (d) => {
      text += d;
      // The whole answer (its JSON body closes it): enough.
      if (/\r\n\r\n\{.*\}\}$/s.test(text)) {
        s.destroy();
        resolve({ text, error });
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    s.on('close', () => resolve({ text, error }));
  });
}

const post = (path: string, auth: string) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}content-type: application/json\r\ncontent-length: ${BODY}\r\n\r\n`;

describe('a refusal while the body is still being uploaded', () => {
  it.each([
    ['413 past maxRequestBytes', post('/v1/chat/completions', 'authorization: Bearer sk-good\r\n'), '413', 'request_too_large'],
    ['401 for a wrong key', post('/v1/chat/completions', 'authorization: Bearer sk-bad\r\n'), '401', 'invalid_api_key'],
    ['404 for an unknown path', post('/v1/nothing', 'authorization: Bearer sk-good\r\n'), '404', 'not_found'],
  ])('%s: the client reads its answer, not a reset, and the connection is said closing', async (_name, head, status, code) => {
    const r = await uploadThenRead(head);
    expect(r.text.split('\r\n')[0]).toBe(
      `HTTP/1.1 ${status} ${status === '413' ? 'Payload Too Large' : status === '401' ? 'Unauthorized' : 'Not Found'}`,
    );
    expect(r.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(r.text).toContain(`"code":"${code}"`);
  });
});

describe('the lingering close', () => {
  it('still closes a refused connection whose client sent its body whole and keeps its side open', async () => {
    const { hostname, port } = new URL(gw.url);
    const s = connect(Number(port), hostname);
    let text = '';
    s.on('data', (d) => (text += d));
    const closed = new Promise<number>((r) => s.on('close', () => r(Date.now())));
    s.on('error', () => {});
    const body = 'x'.repeat(1000);
    const t0 = Date.now();
    s.write(`POST /v1/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-length: ${body.length}\r\n\r\n`);
    // The body after the answer: read by the discard, whole, while the client never ends its side.
    await new Promise<void>((r) => s.once('data', () => r()));
    s.write(body);
    const at = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 404 /);
    expect(at - t0).toBeLessThan(10_000);
  });
});
