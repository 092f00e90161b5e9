/**
 * "A request that can cost nothing (every target it can reach unpriced) is never held back by a budget" (README, Cost
 * and budgets). For a tenant whose only limit is a budget, such a request still went to the shared store for its
 * admission — a Redis round trip that decides nothing for it — and with the store down and `onError: closed` it was
 * answered 503 `rate_limit_store_unavailable`: held back by its budget's store. A budget has nothing to decide for a
 * request that reserves $0; a priced request is still refused while the store is down, as the contract says.
 */
import { expect, it } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';
import { rawPost } from '../helpers/raw.js';

it('a free request of a budget-only tenant is served while the store is down (closed); a priced one is 503', async () => {
  // Nothing listens there: every command is refused.
  const port = await freePort();
  const gw = await gatewayFor(`
version: 1
limits: { store: { redis: "redis://127.0.0.1:${port}", timeout: 200ms, onError: closed } }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  free: { targets: [{ backend: v }] }
  paid: { targets: [{ backend: v, pricing: { input: 1, output: 1 } }] }
tenants:
  t: { keys: [k], limits: { budget: { usd: 10, per: 1h } } }
`);
  try {
    const ask = (model: string) =>
      rawPost(
        `${gw.url}/v1/chat/completions`,
        { model, messages: [{ role: 'user', content: 'x' }], max_tokens: 3 },
        { headers: { authorization: 'Bearer k' } },
      );
    // Before: 503 rate_limit_store_unavailable.
    expect((await ask('free')).status).toBe(200);
    const paid = await ask('paid');
    expect(paid.status).toBe(503);
    expect(String(paid.body)).toContain('rate_limit_store_unavailable');
  } finally {
    await gw.close();
  }
}, 30_000);
