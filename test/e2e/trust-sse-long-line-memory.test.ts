/**
 * What the gateway holds for an event still arriving is about its bytes however its data lines are cut — here one
 * long line and an empty one, the other spelling of test/e2e/trust-sse-event-memory.test.ts's many short lines.
 * openai/sse.ts SseDecoder sized its data buffer, on the second line, as 6× the first line's length and kept that
 * line's string beside it until dispatch: ~8× the event's bytes. And a line's bytes that are not UTF-8 decode to
 * U+FFFD, 3 bytes each once written back as UTF-8: 16 MiB of 0xFF held 48 MiB. Measured as heap and buffers both.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const KEY = 'sk-tenant-trust-long-line';
const MAX_EVENT = 16 * 1024 * 1024;
const STREAMS = 3;
let delivered = 0;
let onDelivered: () => void = () => {};

const up = await useUpstream((_req, res, body) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  // CRLF for the pass-through relay (a CR takes it off its byte-only fast path).
  const eol = body.includes('crlf') ? '\r\n' : '\n';
  const fill = body.includes('notutf8') ? 0xff : 0x78;
  // A comment event, then one event that never ends: a data line of just under maxEventBytes and an empty one
  // (or, `second`, the empty one first); the backend then holds the stream open.
  const second = body.includes('second');
  res.write(`: hi${eol}${eol}data:${second ? `${eol}data:` : ''}`);
  const chunk = Buffer.alloc(65536, fill);
  let sent = 0;
  const pump = (): void => {
    while (sent + chunk.length < MAX_EVENT - 2 * 65536) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.write(second ? eol : `${eol}data:${eol}`, () => {
      delivered++;
      onDelivered();
    });
  };
  pump();
});

const gw = await useGateway(scriptedBackendProfile(KEY), { u: up.url });

/** What the gateway holds while STREAMS streams each have one event of just under maxEventBytes still arriving. */
async function hold(path: string, body: object, headers: Record<string, string>): Promise<number> {
  delivered = 0;
  // What an earlier case let go is freed first: buffers outside the heap go some time after a collection.
  await new Promise((r) => setTimeout(r, 300));
  gc();
  gc();
  const before = held();
  const all = new Promise<void>((resolve) => {
    onDelivered = () => delivered >= STREAMS && resolve();
  });
  const controllers: AbortController[] = [];
  const answers = [];
  for (let i = 0; i < STREAMS; i++) {
    const c = new AbortController();
    controllers.push(c);
    const abortWhen = new Promise((r) => c.signal.addEventListener('abort', r));
    answers.push(rawPost(`${gw.url}${path}`, body, { headers, abortWhen }));
  }
  await all;
  await new Promise((r) => setTimeout(r, 300));
  gc();
  const during = held() - before;
  for (const c of controllers) c.abort();
  await Promise.allSettled(answers);
  await new Promise((r) => setTimeout(r, 300));
  return during;
}

/** The JS heap and the buffers outside it: the event's bytes may be held in either. */
function held(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const anthropic = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' };
const messages = (content: string) => ({ model: 'gpt', max_tokens: 10, messages: [{ role: 'user', content }], stream: true });

// 3× the events' bytes: the relay's copy of the bytes (pass-through), the decoder's data, and slack. Measured
// 98 / 80 / 46 MiB for the first three; 383 / 332 / 380 MiB when the buffer was sized from the first line. Bytes
// that are not UTF-8 are held one byte each: 2× (48 MiB of U+FFFD as UTF-8 a stream, 144 MiB, before).
describe('an event of one long data line and an empty one costs the gateway about its bytes', () => {
  it(`${STREAMS} pass-through streams (CRLF): a ~16 MiB data line, then \`data:\``, async () => {
    const body = { model: 'gpt', messages: [{ role: 'user', content: 'crlf' }], stream: true };
    expect(await hold('/v1/chat/completions', body, { authorization: `Bearer ${KEY}` })).toBeLessThan(STREAMS * 3 * MAX_EVENT);
  }, 60_000);

  it(`${STREAMS} translated streams (Anthropic client): a ~16 MiB data line, then \`data:\``, async () => {
    expect(await hold('/v1/messages', messages('hi'), anthropic)).toBeLessThan(STREAMS * 3 * MAX_EVENT);
  }, 60_000);

  it(`${STREAMS} translated streams: a ~16 MiB data line of bytes that are not UTF-8, then \`data:\``, async () => {
    expect(await hold('/v1/messages', messages('notutf8'), anthropic)).toBeLessThan(STREAMS * 2 * MAX_EVENT);
  }, 60_000);

  it(`${STREAMS} translated streams: \`data:\`, then a ~16 MiB data line of bytes that are not UTF-8`, async () => {
    expect(await hold('/v1/messages', messages('notutf8 second'), anthropic)).toBeLessThan(STREAMS * 2 * MAX_EVENT);
  }, 60_000);
});
