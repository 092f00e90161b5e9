/**
 * A refresh interval past Node's timer bound (2^31 − 1 ms, ~24.8 days): `refreshInterval: 600h` is an operator's
 * "as good as never", and Node ran such an interval every millisecond — a fetch of the identity provider's key set
 * each time, hundreds a second from every replica. Held to the bound, the set is fetched at start and not again.
 */
import { describe, expect, it } from 'vitest';
import { JwksSource } from '../../../src/auth/jwks.js';
import { parseDuration } from '../../../src/core/units.js';
import { useKeyServer } from '../../helpers/key-server.js';
import { jwks, signingKey } from './jwt-fixtures.js';

describe('a JWKS refresh interval of 600h', () => {
  it('fetches the key set once at start, not every millisecond', async () => {
    const { url, idp } = await useKeyServer(jwks(await signingKey('k1', 'ES256')));
    const source = new JwksSource(url, { refreshIntervalMs: parseDuration('600h')! });
    try {
      expect((await source.start()).loaded).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      // Before: ~100 more fetches in these 300 ms (one a millisecond, each a round trip).
      expect(idp.fetches).toBe(1);
    } finally {
      source.close();
    }
  });
});
