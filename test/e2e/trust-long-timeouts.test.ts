/**
 * Node holds a timer's delay in 32 bits: past 2^31 − 1 ms (~24.8 days, 596 h) it warns and fires after 1 ms. The
 * pool's own timers clamp (h1-pool.ts); the waits around it took the profile's durations as they were, so a profile
 * that meant "as good as never" said "at once": with `pool.queueTimeout: 600h` every request that queued for a
 * connection was refused as if the wait had run out, with `timeouts.firstByte: 600h` every answer led by a 1xx timed
 * out, and with `timeouts.clientStall: 600h` a client that left the answer unread for a moment was cut.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER as OK, useRawUpstream } from '../helpers/upstream.js';

const answer = (body: string) =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
/** A whole answer of ~8 MB: far more than a client's socket takes before it reads. */
const LARGE = JSON.stringify({ id: 'x', object: 'chat.completion', pad: 'a'.repeat(8 * 1024 * 1024) });

const up = await useRawUpstream((socket, request) => {
  const marker = /"content":"([a-z-]+)"/.exec(request)?.[1] ?? '';
  if (marker === 'early-hints') {
    socket.write('HTTP/1.1 103 Early Hints\r\nlink: </a>; rel=preload\r\n\r\n');
    return void setTimeout(() => socket.write(answer(OK)), 100);
  }
  if (marker === 'large') return void socket.write(answer(LARGE));
  setTimeout(() => socket.write(answer(OK)), 300);
});

const gw = await useGateway(
  `
version: 1
timeouts: { firstByte: 600h, clientStall: 600h }
backends:
  one: { url: "{{up}}", pool: { connections: 1, queueTimeout: 600h } }
models:
  m: { targets: [{ backend: one }] }
`,
  { up: up.url },
);

const post = (content: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content }], max_tokens: 2 });

describe('durations past 24.8 days', () => {
  it('pool.queueTimeout: a request queued behind a busy connection waits for it', async () => {
    const [a, b] = await Promise.all([post('first'), post('second')]);
    expect([a.status, b.status]).toEqual([200, 200]);
  });

  it('timeouts.firstByte: an answer led by a 1xx arrives', async () => {
    const r = await post('early-hints');
    expect(r.status).toBe(200);
  });

  it('timeouts.clientStall: a client that reads nothing for a moment gets the whole answer', async () => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'large' }], max_tokens: 2 });
    const got = await new Promise<{ bytes: number; complete: boolean }>((resolve, reject) => {
      const req = request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let bytes = 0;
        res.pause();
        setTimeout(() => res.resume(), 200);
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ bytes, complete: res.complete }));
        res.on('error', () => resolve({ bytes, complete: false }));
        res.on('close', () => resolve({ bytes, complete: res.complete }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(got).toEqual({ bytes: Buffer.byteLength(LARGE), complete: true });
  }, 20_000);
});
