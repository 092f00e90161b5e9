/**
 * A backend's answer in a transfer coding beyond chunked (`Transfer-Encoding: gzip, chunked`), which aigw never asks for
 * (it sends no TE): llhttp takes the chunks apart and nothing else, so the compressed bytes went to the client as a 200
 * labelled JSON that no SDK decodes — and a 2xx error object in them, holding the backend's key, was neither read as the
 * error it is nor scrubbed (the client had the key back by gunzipping the body). Now such an answer is no answer: the
 * next target is tried, else 502 bad_upstream_response.
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useRawUpstream, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-operator-CANARY-7f3a';
const ANSWER = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  model: 'gpt',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});
const LEAK = JSON.stringify({ error: { message: `upstream refused key ${KEY}`, type: 'server_error' } });
const STREAM = `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'gpt', choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: null }] })}\n\ndata: [DONE]\n\n`;

/** Answers in `gzip, chunked`: the JSON error holding the key, or an event stream to a stream request. */
const coded = await useRawUpstream((s, request) => {
  const body = gzipSync(request.includes('"stream":true') ? STREAM : LEAK);
  const ct = request.includes('"stream":true') ? 'text/event-stream' : 'application/json';
  s.write(
    Buffer.concat([
      Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: ${ct}\r\ntransfer-encoding: gzip, chunked\r\n\r\n${body.length.toString(16)}\r\n`),
      body,
      Buffer.from('\r\n0\r\n\r\n'),
    ]),
  );
});
const plain = await useUpstream((_req, res, body) => {
  if (JSON.parse(body).stream) return res.writeHead(200, { 'content-type': 'text/event-stream' }).end(STREAM);
  res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER);
});

const gw = await useGateway(
  `
version: 1
backends:
  coded: { url: "{{coded}}", apiKey: ${KEY} }
  plain: { url: "{{plain}}" }
models:
  alone: { targets: [{ backend: coded }] }
  spare: { targets: [{ backend: plain }] }
  served: { targets: [{ backend: coded }], fallbacks: [spare] }
`,
  { coded: coded.url, plain: plain.url },
);

/** A chat over a raw connection: the whole answer's bytes, undecoded. */
function chat(model: string, stream = false): Promise<Buffer> {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }], stream });
  return new Promise((resolve) => {
    const s = connect(Number(new URL(gw.url).port), '127.0.0.1', () =>
      s.write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      ),
    );
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', () => {});
    s.on('close', () => resolve(Buffer.concat(got)));
    setTimeout(() => s.destroy(), 3000);
  });
}

const GZIP = Buffer.from([0x1f, 0x8b]);
/** Whether the bytes hold a gzip member's start, chunk framing aside (a chunk may end between its two bytes). */
const holdsGzip = (b: Buffer) => b.includes(GZIP) || b.toString('latin1').includes('\x1f\r\n');

describe('an answer in a transfer coding beyond chunked', () => {
  it('is a 502 bad_upstream_response, never a 200 of compressed bytes holding the scrubbed key', async () => {
    const got = await chat('alone');
    const text = got.toString('latin1');
    expect(text.slice(0, 12)).toBe('HTTP/1.1 502');
    expect(text).toContain('"code":"bad_upstream_response"');
    expect(holdsGzip(got)).toBe(false);
    expect(text).not.toContain(KEY);
  });

  it('is tried elsewhere: the fallback answers, plain and streamed', async () => {
    for (const stream of [false, true]) {
      const text = (await chat('served', stream)).toString('latin1');
      expect(text.slice(0, 12)).toBe('HTTP/1.1 200');
      expect(text).toMatch(/\r\nx-aigw-backend: plain\r\n/);
      expect(text).toContain(stream ? 'data: [DONE]' : '"content":"ok"');
    }
  });
});
