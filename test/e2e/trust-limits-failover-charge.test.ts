/**
 * The charge follows what the last attempt's outcome says: a fallback that answered with usage after a first attempt
 * timed out (timeouts.firstByte) is charged its usage, not that attempt's reservation — the first backend's fault is
 * not the tenant's (README: "when the answer completes, its real usage settles the reservation"). A second review
 * found the timed-out attempt's mark outliving it, on the request's shared record.
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

describe('a fallback answers after the first target timed out', () => {
  it('is charged its usage, not its reservation', async () => {
    // A backend that takes the request and never answers (overloaded, stuck): its own fault.
    const hang = await useUpstream(() => {});
    // The fallback: a short answer with its usage (8 tokens in all).
    const ok = await useUpstream((_req, res) => {
      const answer = JSON.stringify({
        id: 'x',
        object: 'chat.completion',
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
    });
    const gw = await gatewayFor(
      `
version: 1
timeouts: { firstByte: 300ms }
backends:
  hang: { url: "{{hang}}" }
  v: { url: "{{ok}}" }
models:
  m1: { targets: [{ backend: hang }], fallbacks: [m2] }
  m2: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k], limits: { tpm: 10000 } }
`,
      { hang: hang.url, ok: ok.url },
    );
    try {
      const ask = (max_tokens: number) => ({ model: 'm1', messages: [{ role: 'user', content: 'hi' }], max_tokens });
      // 5,000 reserved; the fallback answers with 8 tokens of output (x-mock-tokens keeps it short).
      const r = await rawPost(`${gw.url}/v1/chat/completions`, ask(5000), { headers: { authorization: 'Bearer k' } });
      expect(r.status).toBe(200);
      const ev = await gw.requestEvent(r.headers['x-request-id']);
      expect(ev.status).toBe(200);
      // The next request (1 token) sees what the first was charged.
      const probe = await rawPost(`${gw.url}/v1/chat/completions`, { ...ask(1), model: 'm2' }, { headers: { authorization: 'Bearer k' } });
      const remaining = Number(probe.headers['x-ratelimit-remaining-tokens']);
      // Charged its usage (8 tokens): ~9,900 left. Charged its reservation (5,003): ~5,000 left.
      expect(remaining).toBeGreaterThan(9000);
    } finally {
      await gw.close();
    }
  }, 30_000);
});
