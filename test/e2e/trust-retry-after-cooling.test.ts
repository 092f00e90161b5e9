/**
 * A backend's overload answer (429, 503) with a retry-after says when to come back. It was read within one request
 * only (trust-retry-after-rounds): the next request was planned as if nothing had been said, and a replica that answered
 * 429 with `retry-after: 10` was sent it at once — under `weighted`, every other request of those 10 s went to it first
 * and failed over. Its target now cools for the retry-after (at most a minute): new requests' plans pass it by. When
 * every target is cooling, the one that cools down soonest is tried, so no request is refused for it.
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
/** A backend that answers every request 429 with `retryAfter`. */
const busy = (retryAfter: string) =>
  useUpstream((_req, res) => {
    const body = JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error' } });
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter }).end(body);
  });
const [limited, slow, soon] = [await busy('10'), await busy('30'), await busy('5')];
const good = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
});
const gw = await useGateway(
  `
version: 1
resilience: { retryAfterCap: 1s }
backends:
  limited: { url: "{{limited}}" }
  good: { url: "{{good}}" }
  slow: { url: "{{slow}}" }
  soon: { url: "{{soon}}" }
models:
  m: { targets: [{ backend: limited }, { backend: good }] }
  both: { targets: [{ backend: slow }, { backend: soon }] }
`,
  { limited: limited.url, good: good.url, slow: slow.url, soon: soon.url },
);

const ask = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });

describe("a backend's retry-after, across requests", () => {
  it('keeps the next requests off the replica that said it, for as long as it said', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await ask('m');
      expect(r.status).toBe(200);
      expect(r.headers['x-aigw-backend']).toBe('good');
    }
    // The rotation's first pick, once. Before: every other request's first attempt, 5 of the 10.
    expect(limited.seen).toHaveLength(1);
  });

  it('when every target is cooling, tries the one that cools down soonest: never none', async () => {
    const first = await ask('both');
    expect(first.status).toBe(502);
    expect(slow.seen).toHaveLength(1);
    expect(soon.seen).toHaveLength(1);
    const second = await ask('both');
    // Tried, and told as it said; before, slow (30 s) was tried again too and its 30 s was what the client was told.
    expect(second.status).toBe(502);
    expect(second.headers['retry-after']).toBe('5');
    expect(soon.seen).toHaveLength(2);
    expect(slow.seen).toHaveLength(1);
  });
});
