/**
 * The admin listener's connections are capped, as the gateway's are (attacker review). Each holds a descriptor, and
 * e169088 kept half of them from the gateway's clients for the backends — but the admin listener took any number: a
 * peer that reaches the admin port (published for Prometheus, a key set: refused only once a request's head came)
 * held every descriptor left with idle connections, and each request that needed a new backend connection failed
 * 503 out of descriptors. Now past its cap (a sixteenth of the limit, at most 256) the admin listener closes a new
 * connection as it accepts it, and the gateway's requests still reach the backend.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { CHAT_REQUEST, hasPrlimit, idleConnections, openConnection, openFds, requestOn } from '../helpers/descriptors.js';
import { eventually } from '../helpers/eventually.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const ADMIN_KEY = 'admin-key-7c1e';

const profile = (backend: string) => `
version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0, key: ${ADMIN_KEY} }
backends:
  b: { url: "${backend}" }
models:
  m: { targets: [{ backend: b }] }
`;

describe.skipIf(!hasPrlimit || process.platform !== 'linux')('the admin listener at the descriptor limit', () => {
  it('keeps its share: past it a new admin connection is closed, and requests still reach the backend', async () => {
    const upstream = await useUpstream((_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER));
    const dir = mkdtempSync(join(tmpdir(), 'aigw-admin-fds-'));
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, profile(upstream.url));
    // 160 descriptors: 80 for the gateway's clients, 10 for the admin listener's.
    const run = await startAigw(['serve', '-c', file, '--log', 'off'], 2, {}, ['prlimit', '--nofile=160:160']);
    const pid = run.child.pid!;
    const client = await openConnection(run.urls.gateway!);
    // Connections that never send a request (no key needed for that): as many as the peer likes.
    const idle = await idleConnections(run.urls.admin!, 200);
    // Closed as they are accepted, past the admin listener's share.
    await eventually(() => idle.closed() > 150);
    // The gateway's request finds a descriptor for its backend connection (it was 503 overloaded).
    const ok = await requestOn(client, CHAT_REQUEST);
    expect(ok.status, ok.body).toBe(200);
    expect(openFds(pid)).toBeLessThan(160);
    expect(upstream.seen).toHaveLength(1);

    // Once the peer leaves, the admin listener answers again.
    for (const s of idle.sockets) s.destroy();
    // (Polled: the listener counts a connection gone once its close is read.)
    await eventually(async () => {
      const stats = await fetch(`${run.urls.admin}/aigw/stats`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }).catch(
        () => undefined,
      );
      return stats?.status === 200;
    });
    client.destroy();
    expect(run.child.exitCode).toBeNull();
    expect(await run.stop()).toBe(0);
  }, 60_000);
});
