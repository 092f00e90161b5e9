/**
 * A sticky session's failed attempt goes on in one order, so the replica that took it keeps its cached prefix — but that
 * order was the target list's, the same for every session: every session of a replica that refused (a 429 it answers
 * at once never ejects it; a 503 or a timeout before it is ejected) failed over to the one replica listed after it,
 * which took all of them on top of its own while its peers took none (bdf4fa8 spread a non-sticky request's failovers,
 * and kept this). It is the session's own rendezvous order now: where the session moves once its target leaves — the
 * failing replica's sessions spread over its peers by weight, each keeping one.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

/** Busy, and says so at once: every request 429 (which never ejects it). */
const busy = await useUpstream((_req, res: ServerResponse) => {
  res.writeHead(429, { 'content-type': 'application/json' }).end('{"error":{"message":"busy","type":"rate_limit_error","code":429}}');
});

const gw = await useGateway(
  `
version: 1
backends:
  a: { url: "{{busy}}" }
  b: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  c: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  d: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m:
    sticky: { header: x-session-id }
    targets: [{ backend: a }, { backend: b }, { backend: c }, { backend: d }]
`,
  { busy: busy.url },
);

const ask = (session: string) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'm', messages: [{ role: 'user', content: session }], max_tokens: 2 },
    { headers: { 'x-session-id': session } },
  );

describe("a sticky session's failovers", () => {
  it("spread a failing replica's sessions over its peers, each session keeping one", async () => {
    const servedBy = new Map<string, string>();
    for (let i = 0; i < 160; i++) {
      const session = `user-${i}`;
      const r = await ask(session);
      expect(r.status).toBe(200);
      servedBy.set(session, String(r.headers['x-aigw-backend']));
    }
    // The sessions whose target is a: the 429 went there first.
    const onA = [...new Set(busy.seen.map((s) => (JSON.parse(s.body) as { messages: { content: string }[] }).messages[0]!.content))];
    expect(onA.length).toBeGreaterThan(15);
    const counts: Record<string, number> = {};
    for (const s of onA) counts[servedBy.get(s)!] = (counts[servedBy.get(s)!] ?? 0) + 1;
    // In list order: all of them b's.
    for (const x of ['b', 'c', 'd']) expect(counts[x] ?? 0, `${x} of ${JSON.stringify(counts)}`).toBeGreaterThanOrEqual(3);
    // Each keeps its own.
    for (const s of onA.slice(0, 10)) expect((await ask(s)).headers['x-aigw-backend']).toBe(servedBy.get(s));
  }, 30_000);
});
