/**
 * The admin listener's request deadline is timeouts.request, as the gateway's — but it was read once, at start: a
 * reload that shortened it (an operator cutting slow clients after seeing them hold the admin port, whose connections
 * are capped) applied it to the gateway's listener and not to the admin's, which went on holding a request that
 * never finished its head for the old deadline (or for good, when the gateway started with 0s). A reload is total
 * (README): the admin listener takes the new deadline for what it reads next (attacker review).
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor, profileFor, requestDeadlineProfile } from '../helpers/gateway.js';

describe("the admin listener's request deadline across a reload", () => {
  it('a head that never ends is cut at the deadline the reload set', async () => {
    const g = await gatewayFor(requestDeadlineProfile('60s'));
    const { port } = new URL(g.adminUrl);
    let s: Socket | undefined;
    try {
      expect((await g.stack.reload(profileFor(requestDeadlineProfile('1s')))).ok).toBe(true);
      const got = { text: '', closed: false };
      s = connect(Number(port), '127.0.0.1', () => s!.write('GET /aigw/stats HTTP/1.1\r\nHost: x\r\n'));
      s.on('error', () => {});
      s.on('data', (d) => (got.text += d));
      s.on('close', () => (got.closed = true));
      // 1 s, checked every second at most (~2 s): waited for up to 20 s, where the old deadline was 60 s.
      await eventually(() => got.closed, 20_000);
      expect(got.text).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      s?.destroy();
      await g.close();
    }
  });
});
