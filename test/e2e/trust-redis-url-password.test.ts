/**
 * A Redis password never shows, however the URL gives it: in its userinfo or as a `password` query parameter (ioredis
 * reads both). When Redis cannot be reached, the message goes to stderr and into the `limits_store` event every
 * /aigw/events subscriber, log and TUI sees (an attacker review found the query form printed whole).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';
import { captureStderr } from '../helpers/stderr.js';

const CANARY = 'CANARYredisPw9x7';

describe('the Redis URL never shows its password', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['a password query parameter', (port: number) => `redis://127.0.0.1:${port}/?password=${CANARY}`],
    ['after another parameter, percent-encoded', (port: number) => `redis://127.0.0.1:${port}/0?family=4&password=${CANARY}%21`],
    ['in the userinfo', (port: number) => `redis://:${CANARY}@127.0.0.1:${port}/`],
    // ioredis reads a URL as WHATWG URL does: the userinfo ends at the last `@` (the password is `pa@CANARY…`).
    ['holding an @, no user', (port: number) => `redis://:pa@${CANARY}@127.0.0.1:${port}/`],
    ['holding an @, with a user', (port: number) => `redis://default:pa@${CANARY}@127.0.0.1:${port}/`],
    ['holding an @, over TLS', (port: number) => `rediss://:pa@${CANARY}@127.0.0.1:${port}/`],
    ['as the user name', (port: number) => `redis://${CANARY}@127.0.0.1:${port}/`],
  ])(
    '%s: not on stderr, not in the limits_store event',
    async (_n, url) => {
      const port = await freePort();
      const written = captureStderr();
      const g = await gatewayFor(`
version: 1
limits: { store: { redis: "${url(port)}", timeout: 100ms } }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k], limits: { rpm: 100 } }
`);
      try {
        const said = written.join('');
        // The store was reported unreachable (the message this is about was written).
        expect(said).toMatch(/redis not reachable at rediss?:\/\/(\*\*\*@)?127\.0\.0\.1:/);
        expect(said).not.toContain(CANARY);
        expect(JSON.stringify(g.events)).not.toContain(CANARY);
      } finally {
        await g.close();
      }
    },
    20_000,
  );
});
