/**
 * A backend's `errors` in /aigw/stats are its failures, not the gateway's own cuts (attacker review). The stats counted
 * every request that ended 5xx or cut against the backend it was routed to, whatever ended it: the drain's deadline (a
 * request waiting on a backend answered 503 `gateway_shutting_down`, a stream it ended with its error frame), and an
 * answer larger than the gateway's response buffer (502 `response_too_large`, a size the client chooses with
 * max_tokens) — each a healthy backend's error in the stats and `aigw top`'s routing panel, while its health (the
 * ejection streak) rightly counted none of them. They still show as what they are: the request's 5xx among the
 * refusals, the cut among the truncations. Nor is the time such a request took a sample of the backend's latency.
 */
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const chat = (model: string, extra: object = {}) => ({ model, messages: [{ role: 'user', content: 'x' }], ...extra });

describe('the gateway’s own cuts are not its backends’ errors', () => {
  it("the drain's deadline: a request still waiting and a stream under way", async () => {
    let taken = 0;
    const silent = await useUpstream(() => taken++);
    const g = await gatewayFor(
      `
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  s: { url: "{{silent}}" }
models:
  m: { targets: [{ backend: v }] }
  stuck: { targets: [{ backend: s }] }
`,
      { silent: silent.url },
    );
    let chunks = 0;
    const streaming = rawPost(`${g.url}/v1/chat/completions`, chat('m', { stream: true, max_tokens: 1000 }), {
      headers: { 'x-mock-tps': '5' },
      onChunk: (n) => (chunks = n),
    });
    const waiting = rawPost(`${g.url}/v1/chat/completions`, chat('stuck', { max_tokens: 1 }));
    await eventually(() => taken === 1 && chunks > 0);
    await g.close(); // the helper's drain: a 100 ms deadline
    expect((await waiting).status).toBe(503);
    await streaming;
    await eventually(() => g.eventsOf('request').length === 2);
    const stats = g.admin.stats.snapshot();
    expect(stats.truncations.map((t) => t.reason)).toEqual(['shutdown']);
    expect(stats.refusals).toContainEqual(expect.objectContaining({ status: 503, code: 'gateway_shutting_down' }));
    expect(stats.models.m!.backends.v).toMatchObject({ requests: 1, errors: 0 });
    expect(stats.models.stuck!.backends.s).toMatchObject({ requests: 1, errors: 0 });
    // Nor is the drain's deadline a sample of the silent backend's latency: it never answered.
    expect(stats.models.stuck!.backends.s!.latencyMs).toEqual({ p50: 0, p99: 0 });
  });

  it('an answer larger than the response buffer', async () => {
    const gw = await useGateway(`
version: 1
limits: { responseBuffer: { mode: buffered, maxBytes: 1Ki } }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`);
    const r = await rawPost(`${gw.url}/v1/chat/completions`, chat('m', { max_tokens: 2000 }), { headers: { 'x-request-id': 'big' } });
    expect(r.status).toBe(502);
    expect((await gw.requestEvent('big')).errorCode).toBe('response_too_large');
    const stats = gw.admin.stats.snapshot();
    expect(stats.refusals).toContainEqual(expect.objectContaining({ status: 502, code: 'response_too_large' }));
    expect(stats.models.m!.backends.v).toMatchObject({ requests: 1, errors: 0 });
  });
});
