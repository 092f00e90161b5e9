/**
 * A 2xx with no body at all — a 204, a content-length of 0, a head and then the connection's close — is no answer to
 * any endpoint aigw serves (each answers JSON). A stream that ends so is already a 502 that may fail over ('the stream
 * ended before its first event'), and so is such an answer translated for the other API; passed through, it reached
 * the client as a 200 (or 204) with nothing in it — openai-node throws a SyntaxError at it — its fallback never tried,
 * and the backend's health counted it a success.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useRawUpstream } from '../helpers/upstream.js';

const HEADS: Record<string, string> = {
  'empty-length': 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n',
  'no-content': 'HTTP/1.1 204 No Content\r\n\r\n',
  'head-then-close': 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n',
};

const up = await useRawUpstream((socket, request) => {
  const marker = /"content":"([a-z-]+)"/.exec(request)?.[1] ?? '';
  if (marker === 'head-then-close') return void socket.end(HEADS[marker]!);
  socket.write(HEADS[marker]!);
});

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 100 }
backends:
  empty: { url: "{{up}}" }
  spare: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: empty }], fallbacks: [spare] }
  alone: { targets: [{ backend: empty }] }
  spare: { targets: [{ backend: spare }] }
`,
  { up: up.url },
);

const post = (model: string, content: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content }], max_tokens: 2 });

describe('a 2xx answer without a byte of body', () => {
  it.each(Object.keys(HEADS))('%s: the fallback answers; alone, a 502 bad_upstream_response', async (marker) => {
    const r = await post('m', marker);
    expect(r.status).toBe(200);
    expect(r.headers['x-aigw-backend']).toBe('spare');
    expect(JSON.parse(r.body.toString()).choices).toHaveLength(1);
    const alone = await post('alone', marker);
    expect(alone.status).toBe(502);
    expect(JSON.parse(alone.body.toString()).error.code).toBe('bad_upstream_response');
  });
});
