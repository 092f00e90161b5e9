/**
 * An attempt that was to be retried, and never was, counts once (attacker review). A failed attempt with another to
 * follow is counted by its upstream_error (retried: true) — a routing decision in aigw_routed_requests_total, an error
 * in /aigw/stats — because the request's event names only the backend tried last. But the record went on naming the
 * failed attempt's backend until a next attempt was dispatched: a client that left while the gateway waited to retry
 * (a backend's retry-after, up to resilience.retryAfterCap, or a place in the next backend's connection queue), or a
 * request the drain answered then, ended with an event naming that backend again — one attempt, two routing decisions
 * (and with the drain's 503, two errors). Here: one request reached the backend, and /metrics said 2.
 */
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

// Busy, back in a second: the gateway waits that second before trying again.
const up = await useUpstream((_req, res) => {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":{"message":"busy"}}');
});
const gw = await useGateway(
  `
version: 1
resilience: { attempts: 2, retryAfterCap: 5s, consecutiveFailures: 100 }
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
tenants:
  t: { keys: [k-t] }
`,
  { b: up.url },
);

const routed = async (backend: string): Promise<number> => {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`aigw_routed_requests_total{model="m",backend="${backend}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
};

describe('a client that leaves while the gateway waits to retry', () => {
  it('counts its one attempt once among the routing decisions', async () => {
    const id = 'abandoned-retry-1';
    const retrying = eventually(() => gw.eventsOf('upstream_error').some((e) => e.requestId === id && e.retried));
    await rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'm', messages: [{ role: 'user', content: 'hello' }] },
      { headers: { authorization: 'Bearer k-t', 'x-request-id': id }, abortWhen: retrying },
    ).catch(() => undefined);
    const e = await gw.requestEvent(id);
    expect(e.clientAborted).toBe(true);
    // The backend was sent the request once: one routing decision, not the upstream_error's and the request's.
    expect(up.seen.length).toBe(1);
    expect(await routed('b')).toBe(1);
    expect(e.backend).toBeUndefined();
    // /aigw/stats: its error counted once (the upstream_error's), no request answered there.
    const stats = gw.admin.stats.snapshot();
    const b = stats.models.m!.backends.b!;
    expect(b.errors).toBe(1);
    expect(b.requests).toBe(0);
    // It reached a backend: its tenant's rpm counts it, as the limiter does.
    expect(stats.tenants.t!.rpm.used).toBe(1);
  });
});
