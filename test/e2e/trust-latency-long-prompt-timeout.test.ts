/**
 * Strategy `latency` reads a long prompt's first token as a bound, not a time to first token (trust-latency-long-prompts):
 * its prefill is as long as the client made the prompt. But a long prompt whose prefill outlasted timeouts.firstByte
 * was a failure of its replica, penalised as one: one 200 KiB prompt that timed out on the quickest replica raised its
 * estimate above the deadline, and every client's short streams went to a replica 150 ms slower while it decayed.
 * Timed out generating after a long prompt, the attempt fails over as before; the estimate is not raised.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content } }] })}\n\n`;

/** A replica whose first token comes `baseMs` after the request, plus a prefill of `perKiB` ms a KiB of body. */
function replica(baseMs: number, perKiB: number) {
  return (_req: IncomingMessage, res: ServerResponse, body: string) => {
    const t = setTimeout(
      () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`${chunk('ok')}data: [DONE]\n\n`);
      },
      baseMs + (Buffer.byteLength(body) / 1024) * perKiB,
    );
    res.on('close', () => clearTimeout(t));
  };
}

const fast = await useUpstream(replica(0, 5));
const slow = await useUpstream(replica(150, 0));
const gw = await useGateway(
  `
version: 1
timeouts: { firstByte: 400ms }
backends:
  fast: { url: "{{f}}" }
  slow: { url: "{{s}}" }
models:
  m: { strategy: latency, targets: [{ backend: fast }, { backend: slow }] }
`,
  { f: fast.url, s: slow.url },
);

const stream = (content: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model: 'm', stream: true, max_tokens: 1, messages: [{ role: 'user', content }] });

describe("latency and one client's long prompt past the first-byte deadline", () => {
  it("does not send everyone's streams to the slow replica after the quick one timed out prefilling", async () => {
    while (slow.seen.length === 0 || fast.seen.length === 0) expect((await stream('hi')).status).toBe(200);
    const fastBefore = fast.seen.length;
    // To the quickest replica: ~1 s of prefill for 200 KiB, past the 400 ms deadline; the slow replica answers it.
    expect((await stream('x'.repeat(200 * 1024))).status).toBe(200);
    expect(fast.seen.length).toBe(fastBefore + 1);
    const slowBefore = slow.seen.length;
    for (let i = 0; i < 10; i++) expect((await stream('hi')).status).toBe(200);
    // Before: 10 of 10 went to the replica 150 ms slower (the quick one penalised past the deadline).
    expect(slow.seen.length - slowBefore).toBeLessThanOrEqual(1);
  }, 30_000);
});
