/**
 * timeouts.clientStall cuts a client that reads none of its answer — also once the answer's last bytes are written.
 * The stall timer ran only while a refused write held the upstream paused, and the answer's end cleared it: a buffered
 * answer (limits.responseBuffer buffered) goes out in one end(), and a stream's or body's last read ends it with its
 * bytes still queued. A client that read nothing then held the request — its place in limits.maxInflight, its tenant's
 * concurrency and the queued answer (up to maxBytes of memory) — for as long as it kept the socket open.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

/** A non-streamed answer of ~24 MiB: more than the sockets between gateway and client take unread. */
const BIG = Buffer.from(
  JSON.stringify({
    id: 'x',
    object: 'chat.completion',
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: 'a'.repeat(24 * 1024 * 1024) }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  }),
);

/** A stream of ~24 MiB sent at once. */
const EVENT = `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content: 'a'.repeat(4000) } }] })}\n\n`;
const STREAM = Buffer.from(`${EVENT.repeat(6000)}data: [DONE]\n\n`);

const up = await useUpstream((_req, res, body) => {
  if (body.includes('"stream":true')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    return void res.end(STREAM);
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(BIG.length) });
  res.end(BIG);
});

async function neverRead(buffer: string, stream: boolean) {
  const g = await gatewayFor(
    `
version: 1
timeouts: { clientStall: 300ms }
limits: { responseBuffer: { mode: ${buffer}, maxBytes: 64Mi } }
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
`,
    { b: up.url },
  );
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'never read' }], stream });
  const socket = connect(Number(new URL(g.url).port), '127.0.0.1');
  socket.on('error', () => {});
  socket.pause();
  socket.write(
    `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  try {
    await eventually(() => g.gateway.state.live.size === 1, 5000);
    // Wait until the answer has all arrived and been written (the request's upstream is done with): then the stall.
    await eventually(() => g.gateway.state.live.size === 0, 20_000);
  } finally {
    socket.destroy();
    await g.close();
  }
}

describe('a client that reads nothing of an answer whose end was written', () => {
  it('buffered: loses its connection at clientStall, the request frees what it held', async () => {
    await neverRead('buffered', false);
  });

  it('buffered, read: the whole answer, not cut', async () => {
    const g = await gatewayFor(
      `
version: 1
timeouts: { clientStall: 300ms }
limits: { responseBuffer: { mode: buffered, maxBytes: 64Mi } }
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
`,
      { b: up.url },
    );
    try {
      const r = await fetch(`${g.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'read' }] }),
      });
      expect(r.status).toBe(200);
      expect(Buffer.from(await r.arrayBuffer()).equals(BIG)).toBe(true);
    } finally {
      await g.close();
    }
  });

  it('passthrough stream (cut while its upstream is paused, as before): the same', async () => {
    await neverRead('passthrough', true);
  });

  it('passthrough body (likewise): the same', async () => {
    await neverRead('passthrough', false);
  });
});
