/**
 * /aigw/stats counts a tenant's requests and tokens in the window as its limiter does (observability review). The limiter
 * counts a request in the bucket of its admission (and settles its tokens there); the stats counted it in the bucket of
 * its end. An answer that took longer than a few buckets stayed in the stats' window after the limiter had let it go:
 * rpm 2 spent by two 1.5 s answers in a 3 s window, the limiter admitted a third once its window had moved past them and
 * `tenants.t.rpm.used` said 3 of 2 (the operator read a tenant over its limit that the limiter was admitting). And while
 * those answers were still on their way the stats counted none of them: 0 of 2 beside the 429 the limiter answered, and
 * 0 tokens of a tpm that their reservations had spent.
 */
import { describe, expect, it, vi } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const gw = await useGateway(`
version: 1
limits: { rateWindow: 3s }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
  priced: { targets: [{ backend: v, pricing: { input: 1000, output: 1000 } }] }
tenants:
  t: { keys: [sk-t], limits: { rpm: 2, tpm: 100000 } }
  u: { keys: [sk-u], limits: { rpm: 2 } }
  w: { keys: [sk-w], limits: { tpm: 1000 } }
  x: { keys: [sk-x], limits: { budget: { usd: 1, per: 1m } } }
`);

let sent = 0;
/** A chat answered after `ttft`, once its request event is published (the stats have counted it). */
const chat = async (ttft: string, key = 'sk-t') => {
  const id = `admission-window-${sent++}`;
  const r = await rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'm', messages: [{ role: 'user', content: 'hello' }], max_tokens: 3 },
    { headers: { authorization: `Bearer ${key}`, 'x-mock-ttft': ttft, 'x-request-id': id } },
  );
  await gw.requestEvent(id);
  return r;
};

/** A chat the mock holds (x-mock-ttft far beyond the test) until `release`, left then. */
const heldChat = (id: string, key: string, model: string, maxTokens: number, release: Promise<void>) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model, messages: [{ role: 'user', content: 'hello' }], max_tokens: maxTokens },
    { headers: { authorization: `Bearer ${key}`, 'x-mock-ttft': '60s', 'x-request-id': id }, abortWhen: release },
  ).catch(() => undefined);

/**
 * `ids` held in flight by tenant `key` while `check` runs (their limits count them from admission); then left, and
 * their request events waited for. `check` gets the answer to one more request of the same kind, not held.
 */
async function whileHeld(
  ids: string[],
  key: string,
  model: string,
  maxTokens: number,
  check: (next: Awaited<ReturnType<typeof rawPost>>) => void,
): Promise<void> {
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  const inFlight = ids.map((id) => heldChat(id, key, model, maxTokens, held));
  await vi.waitFor(() => expect(gw.gateway.state.live.size).toBe(ids.length));
  const next = await rawPost(
    `${gw.url}/v1/chat/completions`,
    { model, messages: [{ role: 'user', content: 'hello' }], max_tokens: maxTokens },
    { headers: { authorization: `Bearer ${key}`, 'x-request-id': `${ids[0]}-next` } },
  );
  try {
    check(next);
  } finally {
    release();
    await Promise.all(inFlight);
  }
  for (const id of ids) await gw.requestEvent(id);
}

describe("a tenant's window in /aigw/stats", () => {
  it('counts a request in flight that its limits admitted, as the limiter does', async () => {
    await whileHeld(['in-flight-0', 'in-flight-1'], 'sk-u', 'm', 3, (third) => {
      // The limiter counts both: a third is refused.
      expect(third.status).toBe(429);
      expect(gw.admin.stats.snapshot().tenants.u!.rpm).toEqual({ used: 2, limit: 2 });
    });
  });

  it("counts what the limits reserved for a request in flight in the tenant's tpm", async () => {
    // max_tokens 600 of tpm 1000: the reservation of one held answer leaves no room for another.
    await whileHeld(['reserved-0'], 'sk-w', 'm', 600, (second) => {
      expect(second.status).toBe(429);
      expect(second.headers['x-ratelimit-remaining-tokens']).toBeDefined();
      const left = Number(second.headers['x-ratelimit-remaining-tokens']);
      // What the limiter says is spent is what the stats say is used: the held request's reservation.
      expect(gw.admin.stats.snapshot().tenants.w!.tpm).toEqual({ used: 1000 - left, limit: 1000 });
      expect(1000 - left).toBeGreaterThanOrEqual(600);
    });
  });

  it("counts what the limits reserved for a request in flight in the tenant's budget", async () => {
    // $1000 per million tokens, max_tokens 600: the held answer's most expensive outcome is over $0.60 of $1.
    await whileHeld(['budget-0'], 'sk-x', 'priced', 600, (second) => {
      expect(second.status).toBe(429);
      const budget = gw.admin.stats.snapshot().tenants.x!.budget!;
      expect(budget.usedUsd).toBeGreaterThan(0.6);
      expect(budget.usedUsd).toBeLessThanOrEqual(budget.limitUsd);
    });
  });

  it('counts a long answer at its admission, as the limiter does, not at its end', async () => {
    // Two answers of 1.5 s, admitted at once: rpm 2 is spent until the window (3 s) has moved past their admission.
    const long = await Promise.all([chat('1500ms'), chat('1500ms')]);
    expect(long.map((r) => r.status)).toEqual([200, 200]);
    const ended = gw.admin.stats.snapshot().tenants.t!;
    expect(ended.rpm.used).toBe(2);

    // The limiter says when it has room again: its retry-after, then one more is admitted.
    let third = await chat('0ms');
    for (let i = 0; i < 5 && third.status === 429; i++) {
      await new Promise((r) => setTimeout(r, Number(third.headers['retry-after-ms'])));
      third = await chat('0ms');
    }
    expect(third.status).toBe(200);
    const after = gw.admin.stats.snapshot().tenants.t!;
    // What the limiter counts now: the third request, and at a bucket's edge one long request the stats' coarser buckets
    // still hold — never more than the limit the limiter just admitted under. Counted at their end, the two long ones
    // were both still in the stats' window: 3 used of 2, and their tokens half as much again.
    expect(after.rpm.used).toBeGreaterThanOrEqual(1);
    expect(after.rpm.used).toBeLessThanOrEqual(after.rpm.limit!);
    expect(after.tpm.used).toBeLessThanOrEqual(ended.tpm.used);
  });
});
