/**
 * Work an attempt did that no usage measures (timed out once sent: the backend was generating) is charged unless a
 * later attempt answers — a fallback that only fails (refuses the request, is down, answers 503) measures nothing,
 * and the request still cost the first backend its generation. Each attempt's send cleared the mark, so a request
 * whose first target outlasted timeouts.firstByte and whose fallback then failed was charged nothing (money review):
 * a client choosing a max_tokens its fallback refuses (a smaller context window, vLLM's 400) had the first backend
 * generate for free, request after request.
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { freePort } from '../helpers/ports.js';
import { useUpstream } from '../helpers/upstream.js';

/** A fallback that refuses this request as a smaller model does (vLLM's context-length 400). */
async function refusing(): Promise<string> {
  const body = JSON.stringify({
    error: { message: "This model's maximum context length is 2048 tokens", type: 'invalid_request_error', code: 'context_length' },
  });
  const u = await useUpstream((_req, res) => {
    res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  return u.url;
}

/** A fallback that is down: nothing listens on its port. */
const down = async (): Promise<string> => `http://127.0.0.1:${await freePort()}`;

describe.each([
  ["refuses the request (a smaller model's context-length 400)", refusing],
  ['is down (connection refused)', down],
])('a first target timed out once sent, and its fallback %s', (_n, fallback) => {
  it('is charged what it reserved, not nothing', async () => {
    // Takes the request and never answers within timeouts.firstByte: generating a long answer.
    const slow = await useUpstream(() => {});
    const small = { url: await fallback() };
    const other = await refusing();
    const gw = await gatewayFor(
      `
version: 1
timeouts: { firstByte: 300ms }
backends:
  slow: { url: "{{slow}}" }
  small: { url: "{{small}}" }
  other: { url: "{{other}}" }
models:
  m1: { targets: [{ backend: slow, pricing: { input: 1, output: 1 } }], fallbacks: [m2] }
  m2: { targets: [{ backend: small, pricing: { input: 1, output: 1 } }] }
  probe: { targets: [{ backend: other }] }
tenants:
  t: { keys: [k], limits: { tpm: 10000 } }
`,
      { slow: slow.url, small: small.url, other },
    );
    try {
      const auth = { headers: { authorization: 'Bearer k' } };
      const r = await rawPost(
        `${gw.url}/v1/chat/completions`,
        { model: 'm1', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5000 },
        auth,
      );
      expect(r.status).toBeGreaterThanOrEqual(400);
      // The first was sent the request (it timed out), then the fallback was tried and failed.
      expect(slow.seen.length).toBe(1);
      const ev = await gw.requestEvent(r.headers['x-request-id']);
      expect(ev.attempts).toBeGreaterThanOrEqual(2);
      // The next request (1 token) sees what the first was charged: its reservation (~5,003) leaves under 5,100.
      // Charged nothing, ~9,990 were left.
      const probe = await rawPost(
        `${gw.url}/v1/chat/completions`,
        { model: 'probe', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 },
        auth,
      );
      expect(Number(probe.headers['x-ratelimit-remaining-tokens'])).toBeLessThan(5100);
    } finally {
      await gw.close();
    }
  }, 30_000);
});
