/**
 * A tenant's places in flight (gateway/tenant-places.ts: bodies still arriving, answers under way, held to its
 * concurrency) were counted per tenant configuration object, and a reload makes every tenant's configuration anew:
 * after each reload the count began at 0 while the requests taken before it still held their places. A tenant held to
 * `concurrency: 1` that trickled one body a reload filled the whole `limits.maxInflight` after three reloads (the
 * limits' own edits, a ConfigMap's refresh), and every other tenant got 503 — what the places exist to prevent. The
 * limiter's own leases carry over a reload (limits/memory-store.ts LeaseRegistry, or Redis); the places now do too,
 * counted per tenant name (attacker review).
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor, profileFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const profile = (rpm: number) => `
version: 1
limits: { maxInflight: 4 }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
tenants:
  slow: { keys: [k-slow], limits: { concurrency: 1, rpm: ${rpm} } }
  other: { keys: [k-other] }
`;

describe("a tenant's places in flight across reloads", () => {
  it('a body still arriving keeps its place through reloads that change the limits: no more are let in, another tenant is served', async () => {
    const g = await gatewayFor(profile(1000));
    const { port } = new URL(g.url);
    const sockets: Socket[] = [];
    /** Starts a body that never finishes; what the gateway answered, once it closed the connection. */
    const trickle = () => {
      const answered = { text: '', closed: false };
      const s: Socket = connect(Number(port), '127.0.0.1', () =>
        s.write(
          'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nauthorization: Bearer k-slow\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{',
        ),
      );
      sockets.push(s);
      s.on('error', () => {});
      s.on('data', (d) => (answered.text += d));
      s.on('close', () => (answered.closed = true));
      return answered;
    };
    try {
      trickle();
      // The tenant's one place is taken: a second body is refused at once.
      const second = trickle();
      await eventually(() => second.closed);
      expect(second.text).toMatch(/^HTTP\/1\.1 429 /);
      const refused = [];
      for (const rpm of [999, 998, 997]) {
        const reloaded = await g.stack.reload(profileFor(profile(rpm)));
        expect(reloaded.ok).toBe(true);
        const after = trickle();
        await eventually(() => after.closed, 3000).catch(() => undefined);
        refused.push(after.text.split('\r\n')[0] || '(no answer: let in)');
      }
      expect(refused).toEqual(Array(3).fill('HTTP/1.1 429 Too Many Requests'));
      // The gateway's cap (4) has room for another tenant.
      const ok = await rawPost(
        `${g.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 3 },
        { headers: { authorization: 'Bearer k-other' } },
      );
      expect(ok.status).toBe(200);
      // Gone, the body frees its place under the profile now served.
      for (const s of sockets) s.destroy();
      await eventually(async () => {
        const r = await rawPost(
          `${g.url}/v1/chat/completions`,
          { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 3 },
          { headers: { authorization: 'Bearer k-slow' } },
        );
        return r.status === 200;
      });
    } finally {
      for (const s of sockets) s.destroy();
      await g.close();
    }
  });
});
