/**
 * A tenant's concurrency 429 is a rate-limit rejection wherever the gateway refuses it (attacker review). Its places in
 * flight (gateway/tenant-places.ts) are checked before the limiter is asked, so on one replica nearly every concurrency
 * refusal comes from there — and those published no `ratelimit` event: aigw_rate_limited_total{kind="concurrency"}
 * stayed 0 and /aigw/stats' `rejected` too (top showed no 429), while the tenant's clients got 429s. Here: a body held
 * open takes the tenant's one place, and the next request's 429 was counted nowhere.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const gw = await useGateway(`
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  slow: { keys: [k-slow], limits: { concurrency: 1 } }
`);

const rateLimited = async (): Promise<number> => {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('aigw_rate_limited_total{tenant="slow",kind="concurrency"}'));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
};

describe("a tenant's concurrency refused at its places in flight", () => {
  it('is a ratelimit event, counted in /metrics and /aigw/stats', async () => {
    const { port } = new URL(gw.url);
    // A body that never finishes: it holds the tenant's one place.
    const holder: Socket = connect(Number(port), '127.0.0.1', () =>
      holder.write(
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nauthorization: Bearer k-slow\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{',
      ),
    );
    holder.on('error', () => {});
    try {
      await eventually(() => gw.gateway.state.places.get('slow') === 1);
      const id = 'place-refused-1';
      const r = await rawPost(
        `${gw.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { authorization: 'Bearer k-slow', 'x-request-id': id } },
      );
      expect(r.status).toBe(429);
      expect(JSON.parse(r.body.toString()).error.type).toBe('concurrency');
      await gw.requestEvent(id);
      expect(gw.eventsOf('ratelimit').filter((e) => e.requestId === id)).toMatchObject([
        { tenant: 'slow', kind: 'concurrency', retryAfterMs: 1000 },
      ]);
      expect(await rateLimited()).toBe(1);
      expect(gw.admin.stats.snapshot().tenants.slow!.rejected).toBe(1);
    } finally {
      holder.destroy();
    }
  });
});
