/**
 * A replica that answers 404 for the model it was sent — vLLM started without it, a LoRA adapter not loaded, Ollama's
 * model not pulled — is misconfigured (or still loading), not refusing the request: the gateway chose that model name
 * from its profile. Such a 404 was a refusal of the request (never failed over, never counted against health), and the
 * replica answered in a millisecond with nothing in flight: least-request and prefix routing sent it ~90 % of requests
 * (178 and 180 of 200 were 404s) and latency routing as many non-streamed ones. Now it fails over to the next target
 * and counts toward the replica's ejection; a 404 of another kind is still the request's, passed on (attacker review).
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';
import { rawPost } from '../helpers/raw.js';

const NOT_SERVED = [
  ['vLLM', { object: 'error', message: 'The model `m` does not exist.', type: 'NotFoundError', param: null, code: 404 }],
  [
    'OpenAI',
    {
      error: {
        message: 'The model `m` does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    },
  ],
  ['Ollama', { error: 'model "m" not found, try pulling it first' }],
  [
    'Azure',
    {
      error: {
        code: 'DeploymentNotFound',
        message:
          'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
      },
    },
  ],
  ['Anthropic', { type: 'error', error: { type: 'not_found_error', message: 'model: m' } }],
] as const;

let badHits = 0;
let shape: object = NOT_SERVED[0][1];
const bad = await useUpstream((_req, res) => {
  badHits++;
  res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify(shape));
});
const good = await useUpstream((_req, res) => {
  // A healthy replica at work: its answers take a while, so it has requests in flight.
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'x',
        object: 'chat.completion',
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      }),
    );
  }, 20);
});
/** A fresh gateway a case closes (an ejection is the gateway's state: each case starts with both replicas in). */
const gatewayOf = (strategy: string) =>
  gatewayFor(
    `
version: 1
backends:
  bad: { url: "{{b}}" }
  good: { url: "{{g}}" }
models:
  m: { strategy: ${strategy}, targets: [{ backend: bad }, { backend: good }] }
`,
    { b: bad.url, g: good.url },
  );

async function load(url: string): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  await Promise.all(
    Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; i < 10; i++) {
        const body = { model: 'm', messages: [{ role: 'user', content: `client ${c} turn ${i} `.repeat(20) }] };
        const r = await rawPost(`${url}/v1/chat/completions`, body);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}

describe.each(NOT_SERVED)('a replica answering 404 for its model (%s)', (_name, body) => {
  it.each(['least-request', 'prefix', 'latency'])('fails over to the replica that serves it, and is ejected (%s)', async (strategy) => {
    shape = body;
    badHits = 0;
    const gw = await gatewayOf(strategy);
    const statuses = await load(gw.url).finally(() => gw.close());
    // Every request answered by the good replica; before, most were the bad one's 404.
    expect(statuses).toEqual({ 200: 80 });
    // Ejected after its consecutive failures (resilience.consecutiveFailures, 5): not sent most of the traffic.
    expect(badHits).toBeLessThan(40);
  });
});

describe('a 404 of another kind', () => {
  it('is the request’s: passed on to the client, not tried elsewhere', async () => {
    shape = { error: { message: 'Unknown LoRA request id 7', type: 'NotFoundError', code: 404 } };
    const gw = await gatewayOf('weighted');
    badHits = 0;
    const statuses: number[] = [];
    try {
      const ask = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
      for (let i = 0; i < 50 && badHits === 0; i++) statuses.push((await rawPost(`${gw.url}/v1/chat/completions`, ask)).status);
    } finally {
      await gw.close();
    }
    expect(badHits).toBe(1);
    expect(statuses.at(-1)).toBe(404);
  });
});

/**
 * A replica that lacks one model of several it serves (a LoRA adapter not loaded there, a model its hosted API retired):
 * that model's requests fail over, but the replica still serves the others — its 404s are that model's, not the
 * backend's failure. Counted, a client's few quick requests for the missing model ejected the replica for every model
 * it serves (here: `a` went all to its peer for the cooldown), and kept it out at each cooldown's end.
 */
describe('a replica lacking one of the models it serves', () => {
  it('fails that model over without being ejected for the others', async () => {
    const hits = { a: 0, b: 0 };
    const answer = (res: import('node:http').ServerResponse) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
        }),
      );
    const lacking = await useUpstream((_req, res, body) => {
      const model = (JSON.parse(body) as { model: 'a' | 'b' }).model;
      hits[model]++;
      if (model === 'b') res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify(NOT_SERVED[0][1]));
      else answer(res);
    });
    const full = await useUpstream((_req, res) => answer(res));
    const gw = await gatewayFor(
      `
version: 1
backends:
  lacking: { url: "{{x}}" }
  full: { url: "{{y}}" }
models:
  a: { targets: [{ backend: lacking }, { backend: full }] }
  b: { targets: [{ backend: lacking }, { backend: full }] }
`,
      { x: lacking.url, y: full.url },
    );
    try {
      const ask = (model: string) => rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }] });
      for (let i = 0; i < 20; i++) expect((await ask('b')).status).toBe(200);
      for (let i = 0; i < 20; i++) expect((await ask('a')).status).toBe(200);
      // An even split: ~10 of 20; ejected after three of the missing model's 404s, it had none.
      expect(hits.a).toBeGreaterThan(2);
      expect(gw.eventsOf('ejection')).toEqual([]);
      // The missing model was asked of the replica (and failed over) more times than its ejection threshold (3).
      expect(hits.b).toBeGreaterThanOrEqual(4);
    } finally {
      await gw.close();
    }
  });
});
