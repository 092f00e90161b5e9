/**
 * What a Redis server answers is a peer's text like any other (attacker review). When it refused an admission, its
 * error reply went to stderr as it came — terminal escapes and all (`\x1b[2J` cleared the operator's screen, a colour
 * and a made-up line forged what they read) — and whole into the `limits_store` event the admin history keeps (one
 * reply line of 8 MiB was an 8 MiB event and stderr line at every outage). The reply is shown with its control
 * characters escaped and cut, on stderr and in the event.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { respServer } from '../helpers/redis.js';
import { captureStderr } from '../helpers/stderr.js';

const FORGED = `\x1b[2J\x1b[32maigw: rate-limit store recovered\x1b[0m ${'y'.repeat(1 << 20)}`;

describe("a Redis server's error reply", () => {
  afterEach(() => vi.restoreAllMocks());

  it('reaches stderr and the limits_store event escaped and cut', async () => {
    const server = respServer(([name]) => {
      if (name === 'INFO') return '$11\r\nloading:0\r\n\r\n';
      if (name === 'EVALSHA' || name === 'EVAL') return `-ERR ${FORGED}\r\n`;
      return '+OK\r\n';
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const written = captureStderr(300);
    const g = await gatewayFor(`
version: 1
limits: { store: { redis: "redis://127.0.0.1:${port}", timeout: 1s } }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [m] } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k], limits: { rpm: 100 } }
`);
    try {
      const r = await rawPost(
        `${g.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 },
        { headers: { authorization: 'Bearer k' } },
      );
      // Failing open: served from this replica's share of the limits.
      expect(r.status).toBe(200);
      const said = written.filter((w) => w.includes('rate-limit store'));
      expect(said.length).toBeGreaterThan(0);
      for (const line of said) {
        expect(line).toContain('\\x1b[2J');
        expect(line).not.toContain('\x1b');
        expect(line.length).toBeLessThan(2048);
      }
      const events = g.eventsOf('limits_store');
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) {
        expect(e.message).not.toContain('\x1b');
        expect(e.message.length).toBeLessThan(2048);
      }
    } finally {
      await g.close();
      server.close();
    }
  }, 30_000);
});
