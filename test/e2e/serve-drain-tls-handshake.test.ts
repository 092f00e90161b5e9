/**
 * The drain's bound holds for a TLS listener's connections that have not finished their handshake (lifecycle
 * review). node:http tracks a connection from its first byte of HTTP; node:https's only once its handshake is done
 * ('secureConnection'), so server.closeAllConnections() at the drain's deadline left a connection still in its
 * handshake open, and server.close() waited for it: anyone who can reach the port (a port scanner, a load
 * balancer's TCP check, a client that sent half a ClientHello) held SIGTERM's exit until that connection's handshake
 * deadline — timeouts.request, 30 s by default and past the drain's 10 s (an orchestrator's grace period then
 * kills the process, its last log lines and spans with it); with timeouts.request 0, Node's 120 s.
 */
import { connect, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { opensslAvailable, useCerts } from '../helpers/certs.js';
import { startAigw } from '../helpers/cli.js';

const certs = opensslAvailable ? useCerts() : undefined;

/** A TLS record header announcing a 512-byte handshake message, and none of it: the server waits for the rest. */
const HALF_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);

describe.skipIf(!certs)('SIGTERM with a TLS handshake unfinished', () => {
  it.each([
    ['sends nothing', Buffer.alloc(0)],
    ['sent half a ClientHello', HALF_CLIENT_HELLO],
  ])(
    'a connection that %s is cut at the drain’s deadline, not held until its handshake deadline',
    async (_, sent) => {
      const file = join(mkdtempSync(join(tmpdir(), 'aigw-drain-tls-')), 'profile.yaml');
      writeFileSync(
        file,
        `version: 1
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
tls: { cert: "${certs!.server.cert}", key: "${certs!.server.key}" }
timeouts: { request: 25s, drain: 300ms }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`,
      );
      const run = await startAigw(['serve', '-c', file, '--mocks', '--log', 'off'], 3);
      const port = Number(new URL(run.urls.gateway!).port);
      const socket: Socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise<void>((r) => socket.once('connect', () => r()));
      if (sent.length) socket.write(sent);
      // Accepted by the gateway (and its bytes read) before the signal.
      await new Promise((r) => setTimeout(r, 300));
      const started = performance.now();
      const code = await run.stop('SIGTERM');
      const took = performance.now() - started;
      socket.destroy();
      expect(code).toBe(0);
      // The drain (300 ms), its flush and settle, the runtime's close: well under the handshake's 25 s.
      expect(took).toBeLessThan(8_000);
    },
    60_000,
  );
});
