/**
 * A backend's latency in /aigw/stats is how long its answers took, not how long clients waited before leaving
 * (attacker review). Every request that reached a backend pushed its duration into the backend's 512-sample ring,
 * one whose client left a millisecond after dispatch too (status 0, no answer): a client that sent requests and hung
 * up at once filled the ring with ~1 ms samples, and a backend taking seconds to answer showed p50 and p99 of a few
 * milliseconds in the stats and `aigw top` — its slowness hidden by anyone who can send a request. Here a backend
 * answers in 400 ms; one answer, then three requests left as the backend got them: p50 read ~10 ms, p99 still the
 * answer's. A request its client left still counts among the backend's requests (it was routed there).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const ANSWER_MS = 400;
let arrived: (() => void) | undefined;
const up = await useUpstream((_req, res) => {
  arrived?.();
  setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER), ANSWER_MS);
});
const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
`,
  { b: up.url },
);
const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

describe('a backend’s latency quantiles', () => {
  it('are not lowered by requests whose clients left before the answer', async () => {
    const ok = await rawPost(`${gw.url}/v1/chat/completions`, chat);
    expect(ok.status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const taken = new Promise<void>((r) => (arrived = r));
      await rawPost(`${gw.url}/v1/chat/completions`, chat, { headers: { 'x-request-id': `left-${i}` }, abortWhen: taken }).catch(
        () => undefined,
      );
      const e = await gw.requestEvent(`left-${i}`);
      expect(e).toMatchObject({ clientAborted: true, backend: 'b', attempts: 1 });
    }
    const b = gw.admin.stats.snapshot().models.m!.backends.b!;
    // Counted where they were routed,
    expect(b.requests).toBe(4);
    // but the backend's time is its answer's: the left requests measured only how soon their clients hung up.
    expect(b.latencyMs.p50).toBeGreaterThanOrEqual(ANSWER_MS);
    expect(b.latencyMs.p99).toBeGreaterThanOrEqual(ANSWER_MS);
  });
});
