/**
 * Requests a client pipelines behind one the gateway refuses with `connection: close` (attacker review): node:http goes
 * on parsing them, and each was handled — authenticated, admitted, sent upstream — though its answer could never be
 * written behind the close: the backend worked on it until the close aborted it, and its tenant paid the reservation
 * of a request it was never answered (20 of 20 chats behind a 404 or a 401 reached the backend). Now they are not handled at all.
 */
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';
import { writeAndReadToClose } from '../helpers/raw.js';

const ANSWER = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  model: 'gpt',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});
const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER);
});
const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
tenants:
  t: { keys: [k-piped], limits: { rpm: 1000 } }
`,
  { b: up.url },
);

const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 });
const chat = (i: number) =>
  `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k-piped\r\nx-request-id: piped-behind-${i}\r\n` +
  `content-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`;

/** One write on a new connection; what comes back until the gateway closes it. */
const send = (text: string): Promise<string> => writeAndReadToClose(gw.url, text, 3000);

describe('requests pipelined behind a refusal that closes the connection', () => {
  it.each([
    ['a 404', 'GET /nope HTTP/1.1\r\nhost: x\r\n\r\n', 404],
    ['a 401', 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer wrong\r\ncontent-length: 0\r\n\r\n', 401],
  ])('are not handled behind %s: nothing reaches the backend, nothing is published', async (_k, refused, status) => {
    const before = up.seen.length;
    const published = () => gw.events.filter((e) => e.type === 'request' && e.requestId.startsWith('piped-behind-')).length;
    const eventsBefore = published();
    const read = await send(refused + Array.from({ length: 20 }, (_, i) => chat(i)).join(''));
    expect(read.slice(0, 12)).toBe(`HTTP/1.1 ${status}`);
    expect(read.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    await eventually(() => gw.gateway.state.live.size === 0);
    expect(up.seen.length - before).toBe(0);
    expect(published() - eventsBefore).toBe(0);
    // The next connection is served.
    expect((await send(chat(99).replace('host: x\r\n', 'host: x\r\nconnection: close\r\n'))).slice(0, 12)).toBe('HTTP/1.1 200');
  });
});
