/**
 * The quick retry on the same target is for the keep-alive race: a backend closing a connection it kept idle just as
 * the next request is written on it (reliability.md case 16; Node's own advice retries only on a reused socket). A
 * connection that never answered is in no such race: the backend accepted it, read the request and dropped it —
 * crashed while generating, or refused it by closing. Retried there, the backend got the request twice: each request
 * such a backend could not answer reached it twice, a generation that broke was started again on the backend that
 * broke it. So with a connection that did answer before, once the backend had the request for longer than a round
 * trip: its close is no race either. Nor is a reset after the backend began its answer's head (a status line, some
 * headers), however soon: it had read the request (routing review).
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER as OK, useRawUpstream } from '../helpers/upstream.js';

/** How long after beginning a head the backend resets (exchange.ts KEEP_ALIVE_RACE_MS is 1 s). */
const RESET_AFTER_MS = 400;

/** Requests read per marker (the message's content), and per connection. */
const seen = new Map<string, number>();
const requestsOn = new WeakMap<Socket, number>();

const up = await useRawUpstream((socket, request) => {
  const marker = /"content":"([a-z-]+)"/.exec(request)?.[1] ?? '';
  seen.set(marker, (seen.get(marker) ?? 0) + 1);
  const n = (requestsOn.get(socket) ?? 0) + 1;
  requestsOn.set(socket, n);
  // Read whole, worked on a moment, dropped without a status line.
  if (marker === 'drop-fin') return void setTimeout(() => socket.destroy(), 50);
  if (marker === 'drop-rst') return void setTimeout(() => socket.resetAndDestroy(), 50);
  // The keep-alive race, as the gateway meets it: a connection that answered before is closed as a request comes.
  if (marker === 'race' && n > 1) return void socket.destroy();
  // Worked on well past a round trip, then dropped (a crash mid-generation, a proxy's idle timeout), on any connection.
  if (marker === 'late-drop') return void setTimeout(() => socket.destroy(), 1_500);
  // On a connection that answered before: the head begun, then the connection reset — after the gateway has read the
  // head's start (an RST discards what it has not read) and well within the keep-alive race's second.
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

describe('a connection that never answered, closed after the request was written on it', () => {
  it.each(['drop-fin', 'drop-rst'])('%s: the request reached the backend once, and the client has a 502', async (marker) => {
    const r = await post(marker);
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString()).error.code).toBe('bad_upstream_response');
    expect(seen.get(marker)).toBe(1);
  });

  it('a connection that answered before and closes as the next request comes is still retried once (the keep-alive race)', async () => {
    expect((await post('warm')).status).toBe(200);
    const r = await post('race');
    expect(r.status).toBe(200);
    expect(seen.get('race')).toBe(2);
  });

  it('a connection that answered before, dropped long after the next request was written on it, is no race: sent once', async () => {
    expect((await post('warm')).status).toBe(200);
    const r = await post('late-drop');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString()).error.code).toBe('bad_upstream_response');
    // Before: retried at once on the same backend, which worked on it a second time and dropped it again.
    expect(seen.get('late-drop')).toBe(1);
  }, 15_000);

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
});
