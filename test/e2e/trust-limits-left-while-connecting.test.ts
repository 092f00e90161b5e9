/**
 * A client that leaves before its request's bytes reached the backend is charged nothing: a client that leaves after
 * they did pays its reservation (the backend may be working on it), but the pool takes a request on a connection
 * still connecting (a TLS handshake, SYNs unanswered until timeouts.connect), where nothing was written. A second
 * review found such clients charged whole; the exchange now counts a request as sent at the pool's write
 * (h1-pool.ts H1Handler.onRequestSent), not when a connection took it.
 */
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

describe('a client that leaves while the gateway is still connecting to the backend', () => {
  it('is charged nothing: its request never reached the backend', async () => {
    // Takes the TCP connection and never answers the TLS handshake: the request stays unwritten.
    const sockets = new Set<Socket>();
    let received = 0;
    const server = createServer((s) => {
      sockets.add(s);
      s.on('data', (d) => (received += d.length));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const gw = await gatewayFor(`
version: 1
timeouts: { connect: 5s }
backends:
  slow: { url: "https://127.0.0.1:${port}" }
  v: { url: http://127.0.0.1:0, mock: { kind: vllm, ttft: 0ms, tokensPerSecond: 0 } }
models:
  m: { targets: [{ backend: slow }] }
  probe: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k], limits: { tpm: 10000 } }
`);
    try {
      const ask = (model: string, max_tokens: number, opts = {}) =>
        rawPost(
          `${gw.url}/v1/chat/completions`,
          { model, messages: [{ role: 'user', content: 'hi' }], max_tokens },
          {
            headers: { authorization: 'Bearer k' },
            ...opts,
          },
        );
      // The client gives up after 300 ms (its own timeout), while the handshake is still pending.
      await ask('m', 5000, { abortAfterMs: 300 }).catch(() => undefined);
      await sleep(200);
      // Only a TLS ClientHello went out (a few hundred bytes), never the HTTP request.
      expect(received).toBeLessThan(2000);
      const probe = await ask('probe', 1);
      const remaining = Number(probe.headers['x-ratelimit-remaining-tokens']);
      // Charged nothing: ~9,990 left. Charged its reservation (5,003): ~4,990 left.
      expect(remaining).toBeGreaterThan(9000);
    } finally {
      await gw.close();
      for (const s of sockets) s.destroy();
      server.close();
    }
  }, 30_000);
});
