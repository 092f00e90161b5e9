/**
 * The client connection cap by default (half the open-file limit, gateway/connection-cap.ts) is there so that each
 * client connection it keeps could have its request's backend connection at once. Half for the clients and half for
 * their backends left nothing for what the process holds besides (stdio, its event loop and threads, the admin
 * listener's share, a profile read): with every kept client streaming, the last ~20 of 80 requests found no
 * descriptor for their backend connection and were answered 503 `overloaded` (attacker review).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { hasPrlimit } from '../helpers/descriptors.js';
import { eventually } from '../helpers/eventually.js';
import { useUpstream } from '../helpers/upstream.js';

const profile = (backend: string) => `
version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
timeouts: { drain: 100ms }
backends:
  b: { url: "${backend}" }
models:
  m: { targets: [{ backend: b }] }
`;

const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, stream: true });
const REQUEST = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`;

/** A streamed request on a connection of its own: its status once the head came, or 0 when the gateway closed it unanswered. */
function streamedRequest(url: string, sockets: Socket[]): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let got = '';
    const s = connect(Number(port), hostname, () => s.write(REQUEST));
    sockets.push(s);
    s.on('error', () => {});
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) resolve(Number(got.slice(9, 12)));
    });
    s.on('close', () => resolve(0));
  });
}

describe.skipIf(!hasPrlimit || process.platform !== 'linux')('the default connection cap', () => {
  it("keeps descriptors for every kept client's backend connection and for the process itself", async () => {
    const held: ServerResponse[] = [];
    // Each stream begins and stays open: its backend connection is held for as long as its client's.
    const upstream = await useUpstream((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n');
      held.push(res);
    });
    const dir = mkdtempSync(join(tmpdir(), 'aigw-cap-'));
    const file = join(dir, 'profile.yaml');
    writeFileSync(file, profile(upstream.url));
    const run = await startAigw(['serve', '-c', file, '--log', 'off'], 2, {}, ['prlimit', '--nofile=160:160']);
    const sockets: Socket[] = [];
    try {
      const statuses = await Promise.all(Array.from({ length: 100 }, () => streamedRequest(run.urls.gateway!, sockets)));
      const counts: Record<number, number> = {};
      for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
      // And the process still has descriptors of its own: the admin listener answers.
      const admin = await fetch(`${run.urls.admin}/aigw/stats`, { signal: AbortSignal.timeout(5000) }).then(
        (r) => r.status,
        () => 0,
      );
      // Each connection the gateway kept had its stream; the rest were closed as they were accepted.
      expect({ overloaded: counts[503] ?? 0, admin }, JSON.stringify(counts)).toEqual({ overloaded: 0, admin: 200 });
      expect(counts[200]).toBeGreaterThan(0);
      await eventually(() => held.length === counts[200]);
    } finally {
      for (const s of sockets) s.destroy();
      for (const r of held) r.destroy();
    }
    expect(await run.stop()).toBe(0);
  }, 60_000);
});
