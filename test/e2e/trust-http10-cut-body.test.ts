/**
 * A non-streamed answer cut mid-body ends in an abortive close, never a clean end (case 13) — also for a client that
 * speaks HTTP/1.0, which nginx does by default towards what it proxies (`proxy_http_version 1.0`). An answer the
 * backend sent without a length reaches such a client framed by the connection's close alone (no chunked coding in
 * HTTP/1.0): the gateway closed with a FIN, which is that framing's clean end, so the cut half of a chat completion read
 * as the whole answer (nginx passed it on as complete). It is reset now; an HTTP/1.1 client still sees the chunked
 * body end without its last chunk, as before.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { useServer } from '../helpers/upstream.js';

// A backend that sends half an answer without a length (chunked), then breaks its connection.
const url = await useServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"${'a'.repeat(5000)}`);
    setTimeout(() => res.socket?.destroy(), 20);
  });
});
const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
`,
  { b: url },
);
const { port } = new URL(gw.url);
const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] });

/** How the connection ended for a raw client of `version`: a clean end (FIN) or an error, and the head it read. */
function ending(version: string): Promise<{ end: string; head: string }> {
  return new Promise((resolve) => {
    let read = '';
    const s = connect(Number(port), '127.0.0.1', () =>
      s.write(
        `POST /v1/chat/completions HTTP/${version}\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`,
      ),
    );
    s.on('data', (d) => (read += d.toString('latin1')));
    const head = () => read.slice(0, read.indexOf('\r\n\r\n'));
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ end: e.code ?? 'error', head: head() }));
    s.on('end', () => resolve({ end: 'FIN', head: head() }));
  });
}

describe('a body cut mid-way, by the HTTP version of the client', () => {
  it('HTTP/1.0, framed by the close alone: reset, never a clean end', async () => {
    const r = await ending('1.0');
    expect(r.head).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.head).not.toMatch(/content-length|transfer-encoding/i);
    expect(r.end).toBe('ECONNRESET');
    // Recorded as the gateway's cut, and nothing held after it.
    await eventually(() => gw.eventsOf('truncation').length === 1 && gw.gateway.state.live.size === 0);
  });

  it('HTTP/1.1, chunked: the body ends without its last chunk', async () => {
    const r = await ending('1.1');
    expect(r.head).toMatch(/transfer-encoding: chunked/i);
  });
});
