/**
 * /aigw/stats and aigw_routed_requests_total read what backends did (operator-surfaces review). A count_tokens
 * routed to a backend that does not speak Anthropic's API is answered by the gateway from its tokenizer: its event
 * names the backend (as x-aigw-backend does) but no attempt was made, and the backend never saw it. Counted as the
 * backend's request, each took a share of its split and put its own time among the backend's latencies (one chat and
 * three counts read as 4 requests of a backend that got 1), and the routed-requests counter counted attempts nobody
 * made. Its tenant was charged a request: that stays counted.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const gw = await useGateway(`
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm, ttft: 200ms } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [sk-t], limits: { rpm: 1000 } }
`);
const headers = { authorization: 'Bearer sk-t' };

interface Stats {
  models: Record<string, { requests: number; backends: Record<string, { requests: number; share: number; latencyMs: { p50: number } }> }>;
  tenants: Record<string, { rpm: { used: number } }>;
}

describe('a count_tokens the gateway answered itself', () => {
  it("is not the backend's request, latency or routed attempt, and is still its tenant's request", async () => {
    const ids: unknown[] = [];
    const chat = await rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 },
      { headers },
    );
    expect(chat.status).toBe(200);
    ids.push(chat.headers['x-request-id']);
    for (let i = 0; i < 3; i++) {
      const c = await rawPost(
        `${gw.url}/v1/messages/count_tokens`,
        { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
        { headers },
      );
      expect(c.status).toBe(200);
      expect(c.headers['x-aigw-backend']).toBe('v');
      ids.push(c.headers['x-request-id']);
    }
    const events = await Promise.all(ids.map((id) => gw.requestEvent(id)));
    expect(events.map((e) => [e.backend, e.attempts])).toEqual([
      ['v', 1],
      ['v', 0],
      ['v', 0],
      ['v', 0],
    ]);
    expect((await gw.mockStats('v')).completed).toBe(1);

    const stats = (await (await fetch(`${gw.adminUrl}/aigw/stats`)).json()) as Stats;
    const v = stats.models.m!.backends.v!;
    expect(v.requests).toBe(1);
    expect(stats.models.m!.requests).toBe(1);
    // The chat's alone (its first token after the mock's 200 ms).
    expect(v.latencyMs.p50).toBeGreaterThan(100);
    expect(stats.tenants.t!.rpm.used).toBe(4);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toContain('aigw_routed_requests_total{model="m",backend="v"} 1\n');
  });
});
