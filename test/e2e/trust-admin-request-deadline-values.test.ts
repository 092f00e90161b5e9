/**
 * node:http takes its deadlines in whole milliseconds: createServer throws at a requestTimeout, headersTimeout or
 * connectionsCheckingInterval that is not an integer. A duration is any decimal of a unit, and the listeners were built
 * from `timeouts.request` as it read: at `999ms` the gateway's checking interval (half of it) was 499.5, at
 * `30000.5ms` the admin listener's deadline was a fraction — the profile validated, and `aigw serve` exited 1 ("cannot
 * listen on 127.0.0.1:8080: The value of "connectionsCheckingInterval" is out of range", or an unexpected failure as it
 * built the admin listener) (profile review).
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor, profileFor, requestDeadlineProfile } from '../helpers/gateway.js';

describe('the listeners built from a request deadline of any decimal', () => {
  it.each([
    ['999ms', 999],
    ['30000.5ms', 30_001],
  ])('timeouts.request: %s starts, the admin deadline rounded up to whole milliseconds', async (request, whole) => {
    const g = await gatewayFor(requestDeadlineProfile(request));
    try {
      expect(g.admin.server.requestTimeout).toBe(whole);
      expect((await fetch(`${g.url}/v1/models`)).status).toBe(200);
      expect((await fetch(`${g.adminUrl}/aigw/stats`)).status).toBe(200);
    } finally {
      await g.close();
    }
  });

  // As trust-request-deadline-off.test.ts for the gateway's listener: `0s` is no deadline for the whole request, but the
  // admin listener took it off the head too (headersTimeout 0, at start and at a reload), and a client trickling header
  // bytes held one of its capped connections for good — `aigw top` and scrapes locked out once enough did.
  it("timeouts.request: 0s leaves the admin request's head Node's 60 s, at start and after a reload", async () => {
    const g = await gatewayFor(requestDeadlineProfile('0s'));
    try {
      expect([g.admin.server.headersTimeout, g.admin.server.requestTimeout]).toEqual([60_000, 0]);
      expect((await g.stack.reload(profileFor(requestDeadlineProfile('5s')))).ok).toBe(true);
      expect([g.admin.server.headersTimeout, g.admin.server.requestTimeout]).toEqual([5000, 5000]);
      expect((await g.stack.reload(profileFor(requestDeadlineProfile('0s')))).ok).toBe(true);
      expect([g.admin.server.headersTimeout, g.admin.server.requestTimeout]).toEqual([60_000, 0]);
    } finally {
      await g.close();
    }
  });
});
