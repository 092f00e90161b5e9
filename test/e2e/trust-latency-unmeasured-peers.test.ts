/**
 * Strategy `latency` under non-streamed generations: their heads come after their last token, so they are bounds
 * (trust-latency-long-answers) and a replica that only answers such requests never gets an estimate — it costs as an
 * unmeasured one, above the replicas measured once it has a request in flight. A replica that fails at once (a 429: busy,
 * so never ejected) was penalised at twice its peers' measured cost, and none was measured: its estimate was its
 * millisecond, below every busy peer, and it took the first attempt of nearly every request (each then failed over).
 * Its penalty is now above what an unmeasured busy peer costs: it is probed again once that has decayed (~3.5 s).
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
  it('sends a replica that fails at once a probe, not the first attempt of every request', async () => {
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 10; i++) {
          const body = { model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] };
          statuses.push((await rawPost(`${gw.url}/v1/chat/completions`, body)).status);
        }
      }),
    );
    expect(statuses.filter((s) => s === 200).length).toBe(80);
    // Before: 75 to 79 of the 80 requests went to it first. Now the first burst's one or two, before its first 429 came back.
    expect(busy.seen.length).toBeLessThan(12);
    expect(good.seen.length).toBe(80);
  }, 20_000);
});
