/**
 * A backend's own overload (503 with a retry-after) is remembered past the request that met it: while it lasts, its
 * target goes behind its model's other targets. Forgotten at the request's end, the next request went straight back
 * to the backend that had just asked for 30 s (half of them, on a 1:1 split), each paying a failed attempt first.
 * A 429 moves no traffic (one tenant's requests may earn it); the deadline is capped by resilience.maxCooldown; a
 * model's only target is still tried.
 */
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const ok = (res: import('node:http').ServerResponse) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }),
  );

/** A backend that refuses its first `refusals` requests with `status` and `retryAfter`, then answers. */
const refusing = (status: number, retryAfter: string, refusals = Number.POSITIVE_INFINITY) =>
  useUpstream((_req, res, _body, n) => {
    if (n > refusals) return ok(res);
    const body = JSON.stringify({ error: { message: 'busy', type: 'server_error' } });
    res.writeHead(status, { 'content-type': 'application/json', 'retry-after': retryAfter }).end(body);
  });

const [busy, busyPeer, limited, limitedPeer, hostile, hostilePeer, lone] = [
  await refusing(503, '30'),
  await refusing(503, '30', 0),
  await refusing(429, '30'),
  await refusing(429, '30', 0),
  await refusing(503, '999999'),
  await refusing(503, '999999', 0),
  await refusing(503, '30', 1),
];
const gw = await useGateway(
  `
version: 1
resilience: { attempts: 2, consecutiveFailures: 1000, maxCooldown: 3s }
backends:
  busy: { url: "{{busy}}" }
  busyPeer: { url: "{{busyPeer}}" }
  limited: { url: "{{limited}}" }
  limitedPeer: { url: "{{limitedPeer}}" }
  hostile: { url: "{{hostile}}" }
  hostilePeer: { url: "{{hostilePeer}}" }
  lone: { url: "{{lone}}" }
models:
  m: { targets: [{ backend: busy }, { backend: busyPeer }] }
  l: { targets: [{ backend: limited }, { backend: limitedPeer }] }
  h: { targets: [{ backend: hostile }, { backend: hostilePeer }] }
  one: { targets: [{ backend: lone }] }
`,
  {
    busy: busy.url,
    busyPeer: busyPeer.url,
    limited: limited.url,
    limitedPeer: limitedPeer.url,
    hostile: hostile.url,
    hostilePeer: hostilePeer.url,
    lone: lone.url,
  },
);

const ask = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });

describe("a backend's declared overload, across requests", () => {
  it('503 with retry-after: the target goes behind its peer for the next requests', async () => {
    for (let i = 0; i < 8; i++) expect((await ask('m')).status).toBe(200);
    // Once: the first request its turn came to. Before, every other request went there first (4 of 8).
    expect(busy.seen).toHaveLength(1);
    expect(busyPeer.seen).toHaveLength(8);
  });

  it('429 with retry-after moves no traffic: the target keeps its turn', async () => {
    for (let i = 0; i < 8; i++) expect((await ask('l')).status).toBe(200);
    expect(limited.seen).toHaveLength(4);
  });

  it('a retry-after of 11 days demotes for resilience.maxCooldown at most', async () => {
    for (let i = 0; i < 3; i++) expect((await ask('h')).status).toBe(200);
    expect(hostile.seen).toHaveLength(1);
    // Past the cap (3 s) its turn comes back: a request reaches it again.
    await eventually(async () => (await ask('h')).status === 200 && hostile.seen.length >= 2, 20_000);
  }, 30_000);

  it("a model's only target, cooling, is still tried", async () => {
    expect((await ask('one')).status).toBe(502);
    // Not 503 no_healthy_backend: it is tried, and answers.
    expect((await ask('one')).status).toBe(200);
    expect(lone.seen).toHaveLength(2);
  });
});
