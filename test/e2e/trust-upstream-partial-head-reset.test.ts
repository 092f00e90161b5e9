/**
 * The quick retry on the same target is for the keep-alive race: a reused connection closed as the request is written
 * (trust-upstream-fresh-close.test.ts). A backend that has begun its answer's head — a status line, some headers — has
 * read the request and is answering it: a reset then, however soon after the write, is no race. Retried there, the
 * backend was sent the request a second time (it crashed writing the head, a proxy cut it there).
 */
import type { Socket } from 'node:net';
import { expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER as OK, useRawUpstream } from '../helpers/upstream.js';

/**
 * The reset comes after the gateway has read the head's start (an RST can overtake bytes the peer has not read yet) and
 * well within the keep-alive race's second (exchange.ts KEEP_ALIVE_RACE_MS): the case that was read as the race.
 */
const RESET_AFTER_MS = 400;

/** Requests read per marker (the message's content). */
const seen = new Map<string, number>();
const requestsOn = new WeakMap<Socket, number>();

const up = await useRawUpstream((socket, request) => {
  const marker = /"content":"([a-z-]+)"/.exec(request)?.[1] ?? '';
  seen.set(marker, (seen.get(marker) ?? 0) + 1);
  const n = (requestsOn.get(socket) ?? 0) + 1;
  requestsOn.set(socket, n);
  // On a connection that answered before: the head begun, then the connection reset, at once.
  if (marker === 'half-head' && n > 1) {
    socket.write('HTTP/1.1 200 OK\r\ncontent-type: appl');
    return void setTimeout(() => socket.resetAndDestroy(), RESET_AFTER_MS);
  }
  if (marker === 'status-line' && n > 1) {
    socket.write('HTTP/1.1 200 OK\r\n');
    return void setTimeout(() => socket.resetAndDestroy(), RESET_AFTER_MS);
  }
  socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${OK.length}\r\n\r\n${OK}`);
});

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 100 }
backends:
  one: { url: "{{up}}" }
models:
  m: { targets: [{ backend: one }] }
`,
  { up: up.url },
);

const post = (content: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content }], max_tokens: 2 });

it.each(['half-head', 'status-line'])(
  '%s: a reused connection reset after its answer began is no keep-alive race: the request reached the backend once',
  async (marker) => {
    expect((await post('warm')).status).toBe(200);
    const r = await post(marker);
    // Before: retried at once on the same backend, which had the request already — sent twice, the retry answered 200.
    expect(seen.get(marker)).toBe(1);
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString()).error.code).toBe('bad_upstream_response');
  },
);
