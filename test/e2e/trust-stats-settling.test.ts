/**
 * /aigw/stats counts a tenant's request from its admission until its settlement, as its limiter does. It counted one
 * in flight while its answer went out (trust 186), and by its event once settled — but its event is published after
 * its settle stage, which may wait (a shared store over the network, a count off the event loop): between the answer's
 * end and that event the request was counted nowhere, and `rpm.used`, `tpm.used` and the budget's `usedUsd` read it
 * spent by no one while the limiter still held its reservation. A real redis-server, stopped (SIGSTOP) as the backend
 * answers, holds the settlement for as long as the test looks.
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { redisAvailable, useRedis } from '../helpers/redis.js';
import { useUpstream } from '../helpers/upstream.js';

const redis = redisAvailable ? await useRedis() : undefined;

interface TenantView {
  rpm: { used: number };
  tpm: { used: number };
  budget: { usedUsd: number };
}

describe.skipIf(!redis)('a request whose settlement waits', () => {
  it("is still its tenant's in /aigw/stats", async () => {
    const pid = redis!.child.pid!;
    let stopped = false;
    const resume = () => {
      if (stopped) process.kill(pid, 'SIGCONT');
      stopped = false;
    };
    // The backend answers once Redis is stopped: admitted before, the request's SETTLE waits for Redis after.
    const up = await useUpstream((_req, res) => {
      process.kill(pid, 'SIGSTOP');
      stopped = true;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
        }),
      );
    });
    const gw = await gatewayFor(
      `
version: 1
limits: { store: { redis: "${redis!.url}", timeout: 10s, prefix: settling-${Date.now()} } }
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b, pricing: { input: 0, output: 1000000 } }] }
tenants:
  t: { keys: [k], limits: { rpm: 10, tpm: 100000, budget: { usd: 100, per: 1h } } }
`,
      { b: up.url },
    );
    try {
      const r = await rawPost(
        `${gw.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 },
        { headers: { authorization: 'Bearer k' } },
      );
      expect(r.status).toBe(200);
      // Answered, not settled: Redis has not answered its SETTLE, so no request event yet.
      expect(gw.eventsOf('request')).toHaveLength(0);
      const stats = (await (await fetch(`${gw.adminUrl}/aigw/stats`)).json()) as { tenants: Record<string, TenantView> };
      const t = stats.tenants.t!;
      // Before: 0, 0 and $0 while the limiter held the request, its 5 + prompt tokens and $5.
      expect(t.rpm.used).toBe(1);
      expect(t.tpm.used).toBeGreaterThan(5);
      expect(t.budget.usedUsd).toBeGreaterThanOrEqual(5);
      resume();
      const e = await gw.requestEvent(r.headers['x-request-id']);
      expect(e.costUsd).toBe(2);
      const after = (await (await fetch(`${gw.adminUrl}/aigw/stats`)).json()) as { tenants: Record<string, TenantView> };
      // Settled: counted once, at what it cost.
      expect(after.tenants.t!.rpm.used).toBe(1);
      expect(after.tenants.t!.budget.usedUsd).toBe(2);
    } finally {
      resume();
      await gw.close();
    }
  }, 30_000);
});
