/**
 * limits.maxEventBytes bounds what one event may hold — 16 MiB by default — and what the gateway holds for an event
 * still arriving is about those bytes, not ten times them. openai/sse.ts SseDecoder held its lines as JS strings:
 * `data:` lines joined by string concatenation (a cons string per line), comment lines pushed one string each; a
 * backend that sent 16 MiB of `data:x` lines without a blank line made the gateway hold ~130 MiB of heap per stream.
 * Every translated stream decodes (relay/translated-sse-relay.ts), and so does a pass-through stream once it sees a
 * CR (relay/sse-relay.ts leaves its byte-only fast path). Measured as heap and buffers both: the data is now bytes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const KEY = 'sk-tenant-trust-event-mem';
const MAX_EVENT = 16 * 1024 * 1024;
const STREAMS = 3;
const LINE = 'data:x\n';
let delivered = 0;
let onDelivered: () => void = () => {};

const up = await useUpstream((_req, res, body) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  // Just under maxEventBytes of one event that never ends (no blank line), then the backend holds the stream open.
  // For the pass-through relay, CRLF line ends (a CR takes it off its byte-only fast path).
  const line = body.includes('crlf') ? 'data:x\r\n' : LINE;
  const chunk = Buffer.from(line.repeat(Math.floor(65536 / line.length)));
  let sent = 0;
  const pump = (): void => {
    while (sent + chunk.length < MAX_EVENT - 65536) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.write('', () => {
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

describe('an event still arriving costs the gateway about its bytes, not ten times them', () => {
  it(`${STREAMS} pass-through streams (CRLF) each holding a 16 MiB event of short data lines`, async () => {
    const held = await hold(
      '/v1/chat/completions',
      { model: 'gpt', messages: [{ role: 'user', content: 'crlf' }], stream: true },
      { authorization: `Bearer ${KEY}` },
    );
    // The relay holds the event's bytes to forward them whole, the decoder its data (2 of every 8 bytes here):
    // 62 MiB measured for the three, 431 MiB when the data was joined string by string.
    expect(held).toBeLessThan(STREAMS * 2 * MAX_EVENT);
  }, 60_000);

  it(`${STREAMS} translated streams (Anthropic client, OpenAI backend) each holding a 16 MiB event of short data lines`, async () => {
    const held = await hold(
      '/v1/messages',
      { model: 'gpt', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], stream: true },
      { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    );
    // The decoder's data alone: 25 MiB measured for the three, 437 MiB when joined string by string.
    expect(held).toBeLessThan(STREAMS * MAX_EVENT);
  }, 60_000);
});
