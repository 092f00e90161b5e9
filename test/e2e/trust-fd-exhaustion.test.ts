/**
 * `aigw serve` at its file-descriptor limit (attacker review). Every client connection holds a descriptor; a client
 * that opens more than the process may have (idle keep-alive connections, a slowloris) leaves none for the gateway's
 * own connections to its backends. A connect refused so (EMFILE: the gateway's limit, not the backend's) was read as
 * the backend's bad answer — a 502 `bad_upstream_response` naming the backend, counted toward its ejection: a backend
 * that was never asked was ejected (here for the minute the profile's cooldown says), and stayed ejected after the
 * descriptors came back. It is the gateway's overload: a 503 to retry, and nothing learnt of the backend.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { CHAT_REQUEST, hasPrlimit, idleConnections, openConnection, openFds, requestOn } from '../helpers/descriptors.js';
import { eventually } from '../helpers/eventually.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const profile = (backend: string) => `
version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
backends:
  b: { url: "${backend}" }
models:
  m: { targets: [{ backend: b }] }
resilience: { consecutiveFailures: 1, cooldown: 60s, maxCooldown: 60s }
`;

/** CPU time (user + system) of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

describe.skipIf(!hasPrlimit || process.platform !== 'linux')('the gateway at its descriptor limit', () => {
  it('answers 503 overloaded when it cannot open a connection to a backend, and does not eject the backend', async () => {
    const upstream = await useUpstream((_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER));
    const dir = mkdtempSync(join(tmpdir(), 'aigw-fds-'));
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, profile(upstream.url));
    const run = await startAigw(['serve', '-c', file, '--log', 'off'], 2);
    const pid = run.child.pid!;
    // The connection the request is sent on, opened while descriptors are left; no backend connection is open yet.
    const client = await openConnection(run.urls.gateway!);
    await new Promise((r) => setTimeout(r, 200));
    const limit = openFds(pid) + 20;
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:${limit}`]);
    // More connections than descriptors are left: the gateway keeps those it can, and closes the rest as it accepts them.
    const idle: Socket[] = [];
    for (let i = 0; i < 40; i++) {
      const s = await openConnection(run.urls.gateway!).catch(() => undefined);
      if (s) {
        s.on('error', () => {});
        idle.push(s);
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(openFds(pid)).toBeGreaterThanOrEqual(limit - 1);
    const cpuBefore = cpuTicks(pid);

    const refused = await requestOn(client, CHAT_REQUEST);
    expect({ status: refused.status, code: JSON.parse(refused.body).error?.code }).toEqual({ status: 503, code: 'overloaded' });
    expect(refused.body).toMatch(/descriptor/);
    expect(upstream.seen).toHaveLength(0);
    // More connections knocking while none can be taken: the listener does not spin (libuv closes them as it accepts).
    await Promise.all(
      Array.from({ length: 20 }, () =>
        openConnection(run.urls.gateway!).then(
          (s) => s.destroy(),
          () => {},
        ),
      ),
    );
    await new Promise((r) => setTimeout(r, 500));
    // Clock ticks are 10 ms: well under the 80 ticks of 800 ms spent spinning.
    expect(cpuTicks(pid) - cpuBefore).toBeLessThan(40);
    expect(run.child.exitCode).toBeNull();

    // Descriptors come back: the backend was never at fault, so it is not ejected (read before a request reaches it:
    // one answered during an ejection ends it), and it serves at once.
    for (const s of idle) s.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const stats = (await (await fetch(`${run.urls.admin}/aigw/stats`)).json()) as {
      models: Record<string, { backends: Record<string, { ejected: boolean }> }>;
    };
    expect(stats.models.m!.backends.b!.ejected).toBe(false);
    const ok = await requestOn(client, CHAT_REQUEST);
    expect(ok.status).toBe(200);
    client.destroy();
    expect(await run.stop()).toBe(0);
  }, 60_000);

  it('keeps half its descriptors from its clients: past the cap a new connection is closed, and requests still reach the backend', async () => {
    const upstream = await useUpstream((_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER));
    const dir = mkdtempSync(join(tmpdir(), 'aigw-fds-'));
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, profile(upstream.url));
    // The limit from the start, as a service manager or a container sets it: 80 client connections at most.
    const run = await startAigw(['serve', '-c', file, '--log', 'off'], 2, {}, ['prlimit', '--nofile=160:160']);
    const pid = run.child.pid!;
    const client = await openConnection(run.urls.gateway!);
    const idle = await idleConnections(run.urls.gateway!, 200);
    // Closed as they are accepted, past the cap.
    await eventually(() => idle.closed() > 0);
    // The clients it kept are served: their requests' connections to the backend find descriptors.
    const ok = await requestOn(client, CHAT_REQUEST);
    expect(ok.status, ok.body).toBe(200);
    expect(openFds(pid)).toBeLessThan(160);
    expect((await fetch(`${run.urls.admin}/aigw/stats`)).status).toBe(200);
    for (const s of idle.sockets) s.destroy();
    client.destroy();
    expect(run.child.exitCode).toBeNull();
    expect(await run.stop()).toBe(0);
  }, 60_000);
});
