/**
 * What a key server answers is a peer's text (attacker review). When the first fetch of auth.jwt.jwks failed, the
 * warning quoted why — and V8's JSON.parse message quotes the start of the text it could not read, so a key server
 * (or whatever answers at its address) that sent terminal escapes had them written raw to the operator's stderr at
 * each start and reload. The warning shows them escaped.
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { captureStderr } from '../helpers/stderr.js';

describe("a key server's unreadable answer", () => {
  afterEach(() => vi.restoreAllMocks());

  it('is quoted escaped in the warning', async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('\x1b[2J\x1b[31mforged'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const written = captureStderr();
    const g = await gatewayFor(`
version: 1
auth:
  jwt: { jwks: "http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json", issuer: https://idp.example, audience: aigw }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [m] } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k] }
`);
    try {
      const said = written.filter((w) => w.includes('no keys loaded'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain('\\x1b[2J');
      expect(said[0]).not.toContain('\x1b');
    } finally {
      await g.close();
      server.closeAllConnections();
      server.close();
    }
  }, 30_000);
});
