/**
 * /aigw/stats counts a tenant's requests as its limiter counts them (attacker review). A request admitted and then
 * answered before any attempt — here an embedding for a model served by an Anthropic backend, refused by the
 * translation once admitted; a full connection queue is another — was charged a request of the tenant's rpm, and
 * stats read only the requests that reached a backend: rpm 3 spent by three such requests refused the fourth with
 * a 429 while `tenants.t.rpm.used` said 0.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const gw = await useGateway(`
version: 1
backends:
  ant: { url: "http://127.0.0.1:9", kind: anthropic }
models:
  m: { targets: [{ backend: ant }] }
tenants:
  t: { keys: [sk-t], limits: { rpm: 3 } }
`);

const embed = (id: string) =>
  rawPost(`${gw.url}/v1/embeddings`, { model: 'm', input: 'hello' }, { headers: { authorization: 'Bearer sk-t', 'x-request-id': id } });

describe('a request admitted and answered before any attempt', () => {
  it("is its tenant's request in /aigw/stats, as the limiter charged it", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await embed(`unattempted-${i}`);
      expect(r.status).toBe(400);
      const e = await gw.requestEvent(`unattempted-${i}`);
      expect(e).toMatchObject({ tenant: 't', admitted: true, attempts: 0 });
      expect(e.backend).toBeUndefined();
    }
    // The limiter counted all three: the fourth is over rpm 3.
    const fourth = await embed('unattempted-3');
    expect(fourth.status).toBe(429);
    expect((await gw.requestEvent('unattempted-3')).admitted).toBe(false);

    const stats = gw.admin.stats.snapshot();
    expect(stats.tenants.t!.rpm).toEqual({ used: 3, limit: 3 });
    expect(stats.tenants.t!.rejected).toBe(1);
    // No backend saw any of them.
    expect(stats.models.m!.backends.ant!.requests).toBe(0);
  });
});
