/**
 * A backend's refusal whose body is cut — its connection closed or reset before the length its head named (a server
 * that answers a request early and closes with the rest unread, a proxy cutting it): the status line said what the
 * answer is. Read as an unreadable answer, a 400 was the backend's failure — the request went on to the next target,
 * which was sent the same bad request, each refusal counted toward its backend's ejection, and the client got a 502.
 */
import { expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER as OK, useRawUpstream } from '../helpers/upstream.js';

const seen = { a: new Map<string, number>(), b: new Map<string, number>() };

/** An upstream that answers `status:NNN` markers with that status, its body cut short of its length by a FIN. */
const upstream = (name: 'a' | 'b') =>
  useRawUpstream((socket, request) => {
    const marker = /"content":"([a-z0-9:-]+)"/.exec(request)?.[1] ?? '';
    seen[name].set(marker, (seen[name].get(marker) ?? 0) + 1);
    const status = /^cut:(\d{3})$/.exec(marker)?.[1];
    if (status) {
      const body = '{"error":{"message":"prompt is too long for this model","type":"invalid_request_error"}}';
      socket.write(`HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\ncontent-length: ${body.length + 50}\r\n\r\n${body}`);
      return void setTimeout(() => socket.destroy(), 20);
    }
    socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${OK.length}\r\n\r\n${OK}`);
  });
const a = await upstream('a');
const b = await upstream('b');

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 2 }
backends:
  a: { url: "{{a}}" }
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: a }, { backend: b }] }
`,
  { a: a.url, b: b.url },
);

const post = (content: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content }], max_tokens: 2 });

it('a 400 whose body is cut is the backend refusing the request: told to the client, not tried elsewhere, not its failure', async () => {
  for (let i = 0; i < 4; i++) {
    const r = await post('cut:400');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body.toString()).error.type).toBe('invalid_request_error');
  }
  // Each request reached one backend, once (before: both, and the client got 502 bad_upstream_response).
  expect((seen.a.get('cut:400') ?? 0) + (seen.b.get('cut:400') ?? 0)).toBe(4);
  // Refusals are no failures: nothing was ejected.
  expect(gw.eventsOf('ejection')).toHaveLength(0);
});

it('a 503 whose body is cut fails over as a 503, to the other backend', async () => {
  const r = await post('cut:503');
  expect(r.status).toBe(502);
  const err = JSON.parse(r.body.toString()).error;
  expect(err.code).toBe('upstream_error');
  expect(err.message).toContain('HTTP 503');
});
