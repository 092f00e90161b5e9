/**
 * What a pass-through stream off the relay's byte-only fast path (a CR in its line ends: sse-starlette's CRLF, or a
 * backend's CR alone) holds for a client that does not read. The full decoder's path wrote each event as its own
 * write, and node:http queues a chunked write as four socket writes (size line, CRLF, the bytes, CRLF): once the
 * client's socket is full, the rest of the read the pause came in is queued an event at a time — a read of 21,845
 * comment events (`:\r\r`, 3 bytes each) held ~8.6 MB of queued writes per stream, where the fast path (LF), one
 * write a read, holds ~0.02 MB. The complete events of a read now go out as one write on that path too. A translated
 * stream wrote each event's frames likewise: a comment flood translated for an Anthropic client (each comment relayed
 * as one) held ~6 MB per stream; what a read's events make now goes out as one write too.
 */
import { setFlagsFromString } from 'node:v8';
import { connect, type Socket } from 'node:net';
import { runInNewContext } from 'node:vm';
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { ONE_BACKEND_PROFILE, eventually, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = () => {
  gc();
  gc();
  return getHeapStatistics().used_heap_size;
};

/**
 * Few streams, waited on long: each is paused only once the gateway has decoded megabytes of 3-byte events (its
 * client's socket buffers full) — CPU time that, in a whole suite on 2 cores, took 8 streams past 15 s.
 */
const STREAMS = 4;
const FILLED_MS = 60_000;
/** Upstreams whose writes wait for 'drain': the gateway has paused them (its client took nothing more). */
let blocked = 0;

/**
 * A first content event, then reads of 64 KiB of tiny events as fast as the gateway takes them: comments ended by CR
 * (`x-eol: cr`), or by LF — which a translated stream's relay reads with the full decoder whatever its line ends.
 */
const up = await useUpstream((req, res) => {
  const eol = req.headers['x-eol'] === 'cr' ? '\r' : '\n';
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(`data: {"id":"1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"a"}}]}${eol}${eol}`);
  const read = Buffer.from(`:${eol}${eol}`.repeat(21_845));
  let waiting = false;
  const wait = (on: boolean) => {
    if (on !== waiting) blocked += on ? 1 : -1;
    waiting = on;
  };
  res.on('close', () => wait(false));
  const pump = (): void => {
    wait(false);
    while (!res.destroyed) {
      if (!res.write(read)) {
        wait(true);
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
});

const gw = await useGateway(ONE_BACKEND_PROFILE, { b: up.url });

/**
 * A client that sends a stream request — OpenAI's, or Anthropic's (`path` /v1/messages: the OpenAI backend's stream
 * translated) — and reads nothing past the head's first bytes.
 */
function stalledClient(path: string, eol: string): Socket {
  const body = JSON.stringify({ model: 'm', stream: true, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
  const s = connect(Number(new URL(gw.url).port), '127.0.0.1');
  s.once('data', () => s.pause());
  s.on('error', () => {});
  s.write(
    `POST ${path} HTTP/1.1\r\nhost: x\r\nx-eol: ${eol}\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
  );
  return s;
}

describe('a stream of tiny events to a client that does not read', () => {
  it.each([
    // Before: ~7.6–8.6 MB of queued writes per stream (a write per 3-byte event of the read the pause came in).
    ['passed through, CR-framed (off the fast path)', '/v1/chat/completions', 'cr'],
    // Before: ~5.8–6.2 MB per stream (a write per comment frame made for the Anthropic client).
    ['translated for an Anthropic client', '/v1/messages', 'lf'],
  ])('%s: holds about a read of bytes per stream, not a queued write per event', { timeout: 3 * FILLED_MS }, async (_name, path, eol) => {
    blocked = 0;
    const requests = gw.eventsOf('request').length;
    const before = heapUsed();
    const clients = Array.from({ length: STREAMS }, () => stalledClient(path, eol));
    // Every backend is paused: each stream's gateway side has queued all it will for its client.
    await eventually(() => blocked === STREAMS, FILLED_MS);
    const perStream = (heapUsed() - before) / STREAMS;
    for (const c of clients) c.destroy();
    expect(perStream, `${(perStream / 1e6).toFixed(2)} MB of heap per stalled stream`).toBeLessThan(1024 * 1024);
    await eventually(() => blocked === 0 && gw.eventsOf('request').length === requests + STREAMS, FILLED_MS);
  });
});
