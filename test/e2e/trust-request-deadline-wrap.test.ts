/**
 * node:http checks its request deadlines (headersTimeout, requestTimeout) as 32-bit unsigned integers: a deadline just
 * past 2^32 ms wrapped to what was left over. Measured on Node 20 with a head left unfinished: at 2^32 + 300 ms the
 * connection got 408 after 397 ms. `timeouts.request: 4294967.596s` (1193.05h, "as good as never") read so on both
 * listeners, and every request whose head took longer than that remainder was refused. Held to Node's timer bound
 * (~24.8 days) as the profile's other long waits are (trust-long-timeouts.test.ts) (profile review).
 */
import { connect as tlsConnect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { opensslAvailable, useCerts } from '../helpers/certs.js';
import { gatewayFor, profileFor, requestDeadlineProfile } from '../helpers/gateway.js';

const MAX = 2 ** 31 - 1;

describe('timeouts.request past 2^32 ms', () => {
  it('is held to Node’s timer bound on the gateway’s and the admin listener, at start and after a reload', async () => {
    const g = await gatewayFor(requestDeadlineProfile('4294967596ms'));
    try {
      const both = () => [
        g.gateway.server.headersTimeout,
        g.gateway.server.requestTimeout,
        g.admin.server.headersTimeout,
        g.admin.server.requestTimeout,
      ];
      expect(both()).toEqual([MAX, MAX, MAX, MAX]);
      expect((await g.stack.reload(profileFor(requestDeadlineProfile('30s')))).ok).toBe(true);
      expect((await g.stack.reload(profileFor(requestDeadlineProfile('8589934892ms')))).ok).toBe(true);
      expect(both()).toEqual([MAX, MAX, MAX, MAX]);
      expect((await fetch(`${g.url}/v1/models`)).status).toBe(200);
    } finally {
      await g.close();
    }
  });
});

const certs = opensslAvailable ? useCerts() : undefined;

describe.skipIf(!certs)('a TLS listener with timeouts.request past Node’s timer bound', () => {
  it('holds its handshake deadline to the bound: no TimeoutOverflowWarning for a connection', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const profile = requestDeadlineProfile('4294967596ms').replace(
      'version: 1',
      `version: 1\ntls: { cert: "${certs!.server.cert}", key: "${certs!.server.key}" }`,
    );
    const g = await gatewayFor(profile);
    try {
      const { port } = new URL(g.url);
      const s = tlsConnect({ host: '127.0.0.1', port: Number(port), rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => s.once('secureConnect', resolve).once('error', reject));
      s.destroy();
      // A warning is emitted on the next tick of the code that set the timer: one request's round trip is past it.
      expect((await fetch(`${g.adminUrl}/aigw/stats`)).status).toBe(200);
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
      await g.close();
    }
  });
});
