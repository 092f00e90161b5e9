/**
 * Strategy `latency` facing a client's requests for an endpoint its model's backends do not serve (embeddings of a chat
 * model: a 404 for the path, FastAPI's `{"detail":"Not Found"}`). The client picks the endpoint: such a 404 counts
 * toward no ejection (trust-health-path-not-served), and it must not move the latency estimates either. Penalised as a
 * replica's failure, each one tried every replica and doubled its estimate over its peer's, up to the 60 s cap: a few
 * such requests made every replica's estimate a minute, a fast replica's first tokens blended in at a weight of almost
 * nothing, and for ~25 s the strategy compared in-flight counts alone — the slow replica took its share of everyone's
 * streams.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content } }] })}\n\n`;

function serve(delayMs: number) {
  return (req: { url?: string }, res: ServerResponse) => {
    if (!req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
      return;
    }
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${chunk('ok')}data: [DONE]\n\n`);
    }, delayMs);
  };
}

const fast = await useUpstream(serve(0));
const slow = await useUpstream(serve(400));
const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 1000 }
backends:
  fast: { url: "{{f}}" }
  slow: { url: "{{s}}" }
models:
  m: { strategy: latency, targets: [{ backend: fast }, { backend: slow }] }
`,
  { f: fast.url, s: slow.url },
);

const stream = () =>
  rawPost(`${gw.url}/v1/chat/completions`, { model: 'm', stream: true, max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] });
const chats = () => fast.seen.filter((c) => c.url.endsWith('/chat/completions')).length;
const slowChats = () => slow.seen.filter((c) => c.url.endsWith('/chat/completions')).length;

describe("latency and a client's requests for an endpoint no replica serves", () => {
  it('leaves the estimates alone: the slow replica gets no more of the streams than before', async () => {
    // Both replicas measured: a replica without history is probed once.
    while (slowChats() === 0 || chats() === 0) expect((await stream()).status).toBe(200);
    for (let i = 0; i < 8; i++) {
      const r = await rawPost(`${gw.url}/v1/embeddings`, { model: 'm', input: 'hi' });
      expect(r.status).toBe(404);
    }
    const before = slowChats();
    // Four clients at once, ten streams each: the fast replica's cost stays far under the slow one's.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 10; i++) expect((await stream()).status).toBe(200);
      }),
    );
    // Before: 12 to 20 of the 40 went to the slow replica (every estimate a minute, in-flight counts deciding).
    expect(slowChats() - before).toBeLessThanOrEqual(2);
  }, 30_000);
});
