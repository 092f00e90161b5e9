/**
 * The admin listener against a client that never reads its answer (attacker review). The gateway's listener cuts a
 * client that leaves an answer's bytes unread for `timeouts.clientStall` (relay/downstream.ts), and the admin
 * listener bounds a connection that sends nothing (the request deadline) or idles after an answer it took (Node's
 * keep-alive timeout). But once a `/metrics` or `/aigw/stats` body was larger than the socket's buffers take (a big
 * profile's series, or any body against a peer advertising a small receive window), a client that asked and never
 * read held the connection — and the rendered body — for good: no deadline runs once a request is read, and the
 * keep-alive timer starts only when the answer is taken. The listener's connections are capped (trust 47): a peer
 * doing this on each of them kept Prometheus and `aigw top` out. Now an answer whose bytes wait unread is held to
 * the same `timeouts.clientStall` windows as the gateway's.
 */
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
timeouts: { clientStall: 100ms }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
`);
const admin = new URL(gw.adminUrl);

describe('an admin answer nobody reads', () => {
  it('does not hold its connection past the stall windows', async () => {
    // A /metrics far larger than any socket buffer: its rendering is replaced, the listener's handling is not.
    const big = `# ${'x'.repeat(16 * 1024 * 1024)}\n`;
    const render = gw.admin.metrics.render;
    gw.admin.metrics.render = () => big;
    const accepted: Socket[] = [];
    const onConnection = (s: Socket) => accepted.push(s);
    gw.admin.server.on('connection', onConnection);
    try {
      const client = connect(Number(admin.port), '127.0.0.1', () => {
        client.write(`GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        // Reads nothing: whatever the kernel took stays there.
        client.pause();
      });
      client.on('error', () => {});
      await eventually(() => accepted.length === 1);
      const server = accepted[0]!;
      const closed = new Promise<void>((r) => (server.destroyed ? r() : server.once('close', () => r())));
      await eventually(() => server.writableLength > 0);
      // Before: still open (its 16 MiB queued) for as long as the client kept it; now cut after its windows.
      await eventually(() => server.destroyed, 20_000);
      await closed;
      client.destroy();
    } finally {
      gw.admin.metrics.render = render;
      gw.admin.server.off('connection', onConnection);
    }
    // The listener still answers.
    const res = await fetch(`${gw.adminUrl}/healthz`);
    expect(res.status).toBe(200);
  }, 30_000);
});
