/**
 * What routing learnt of a backend's server (its declared overload, its time to first token) is of the server its URL
 * named: a reload that points the backend elsewhere starts the new server afresh, as its health and connection slots
 * do (upstream/backends.ts). Kept by the backend's name, an overloaded server left behind (503, retry-after) kept its
 * replacement behind its peer until resilience.maxCooldown, and a slow one left the new one unprobed by `latency`
 * for tens of seconds, every request going to the peer.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually, profileFor, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const ok = (res: ServerResponse) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }),
  );

const [busy, slow, peer, peer2, replacement, replacement2] = [
  await useUpstream((_req, res) =>
    res
      .writeHead(503, { 'content-type': 'application/json', 'retry-after': '60' })
      .end(JSON.stringify({ error: { message: 'busy', type: 'server_error' } })),
  ),
  await useUpstream((_req, res) => void setTimeout(() => ok(res), 300)),
  await useUpstream((_req, res) => ok(res)),
  await useUpstream((_req, res) => ok(res)),
  await useUpstream((_req, res) => ok(res)),
  await useUpstream((_req, res) => ok(res)),
];

const profile = (a: string, s: string) => `
version: 1
resilience: { attempts: 2, consecutiveFailures: 1000, maxCooldown: 60s }
backends:
  a: { url: "${a}" }
  p: { url: "${peer.url}" }
  s: { url: "${s}" }
  q: { url: "${peer2.url}" }
models:
  m: { targets: [{ backend: a }, { backend: p }] }
  lat: { strategy: latency, targets: [{ backend: s }, { backend: q }] }
`;

const gw = await useGateway(profile(busy.url, slow.url));

const ask = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });

describe("a backend's routing state across a reload that changes its URL", () => {
  it('an overload the old server declared does not keep the new one behind its peer', async () => {
    for (let i = 0; i < 2; i++) expect((await ask('m')).status).toBe(200);
    expect(busy.seen).toHaveLength(1);
    expect((await gw.stack.reload(profileFor(profile(replacement.url, slow.url)))).ok).toBe(true);
    for (let i = 0; i < 4; i++) expect((await ask('m')).status).toBe(200);
    // Its turn, on a 1:1 split: 2 of 4. Before, 0 — still cooling for the old server's 60 s.
    expect(replacement.seen).toHaveLength(2);
    expect(busy.seen).toHaveLength(1);
  });

  it("`latency` probes the new server, not the old one's slowness", async () => {
    // Each replica is tried once while it has no history; the slow one is then known as ~300 ms.
    await eventually(async () => (await ask('lat')).status === 200 && slow.seen.length >= 1 && peer2.seen.length >= 1);
    expect((await gw.stack.reload(profileFor(profile(replacement.url, replacement2.url)))).ok).toBe(true);
    for (let i = 0; i < 3; i++) expect((await ask('lat')).status).toBe(200);
    // A replica without history is probed (strategies/latency.ts). Before, 0: the old server's 300 ms kept every
    // request on the peer for ~τ·ln(300) ≈ 28 s.
    expect(replacement2.seen.length).toBeGreaterThanOrEqual(1);
    expect(slow.seen.length).toBeLessThanOrEqual(2);
  });
});
