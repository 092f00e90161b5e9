/**
 * Strategy `latency` beside replicas that only answer non-streamed generations: their heads come after their last
 * token, so they were bounds alone (trust-latency-long-answers) and such a replica never got an estimate — it cost as a
 * new one, above every measured replica once it had a request in flight. A replica answering 429 at once (busy: never
 * ejected) was penalised at twice its peers' measured cost, none was measured, and it took the first attempt of nearly
 * every request, each then failing over. A replica no first token was observed of now has its answers' heads for an
 * estimate (PeakEwma.answerHead), so the failing one is penalised against it and only probed.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const answer = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
});
// A healthy replica at work: each answer takes a while, so under eight clients it has requests in flight.
const good = await useUpstream((_req, res) => {
  setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(answer), 40);
});
const busy = await useUpstream((_req, res) => {
  res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'slow down', code: 429 } }));
});
const gw = await useGateway(
  `
version: 1
backends:
  good: { url: "{{g}}" }
  busy: { url: "{{b}}" }
models:
  m: { strategy: latency, targets: [{ backend: good }, { backend: busy }] }
`,
  { g: good.url, b: busy.url },
);

describe('latency with peers that only answer non-streamed generations', () => {
  it('sends a replica that fails at once probes, not the first attempt of every request', async () => {
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 20; i++) {
          const body = { model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] };
          statuses.push((await rawPost(`${gw.url}/v1/chat/completions`, body)).status);
        }
      }),
    );
    expect(statuses.filter((s) => s === 200).length).toBe(160);
    expect(good.seen.length).toBe(160);
    // Before: 146 to 148 of the 160 went to it first. Now 6 or 7: the first burst's, before the good replica's first
    // answer gave it an estimate.
    expect(busy.seen.length).toBeLessThan(40);
  }, 30_000);
});
