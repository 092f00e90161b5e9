/**
 * Strategy `latency` facing a client's long prompt: a stream's first token comes after the backend read the whole
 * prompt (its prefill), whose length the client chooses, as a non-streamed answer's head comes after the length it
 * chose (trust-latency-long-answers). Read as a time to first token, one 200 KiB prompt set the quickest replica's
 * estimate to its prefill at once (a peak), and every other client's streams went to a replica 30× slower for the ~9 s
 * that took to decay. A long prompt's first token is a bound now: it may lower an estimate, never raise it. Nor is a
 * long prompt whose prefill outlasted timeouts.firstByte its replica's failure: penalised as one, it raised the quick
 * replica's estimate above the deadline alike. It still fails over as before.
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

/** A quick replica (5 ms of prefill a KiB) and one 150 ms slower at first token, under strategy latency. */
async function fleet(timeouts: string) {
  const fast = await useUpstream(replica(0, 5));
  const slow = await useUpstream(replica(150, 0));
  const gw = await useGateway(
    `
version: 1
${timeouts}
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
  return { fast, slow, stream };
}

const prefilled = await fleet('');
const timedOut = await fleet('timeouts: { firstByte: 400ms }');

describe("latency and one client's long prompt", () => {
  it.each([
    ['read a long prompt (~1 s of prefill for 200 KiB)', prefilled],
    ['timed out prefilling one (past the 400 ms deadline; the slow replica answers it)', timedOut],
  ])(
    "does not send everyone's streams to the slow replica after the quick one %s",
    async (_, { fast, slow, stream }) => {
      // Both replicas measured: a replica without history is probed once.
      while (slow.seen.length === 0 || fast.seen.length === 0) expect((await stream('hi')).status).toBe(200);
      const fastBefore = fast.seen.length;
      // To the quickest replica (the lower estimate).
      expect((await stream('x'.repeat(200 * 1024))).status).toBe(200);
      expect(fast.seen.length).toBe(fastBefore + 1);
      const slowBefore = slow.seen.length;
      for (let i = 0; i < 10; i++) expect((await stream('hi')).status).toBe(200);
      // Before: 10 of 10 went to the replica 150 ms slower (the quick one's estimate ~1 s, or penalised past the deadline).
      expect(slow.seen.length - slowBefore).toBeLessThanOrEqual(1);
    },
    30_000,
  );
});
