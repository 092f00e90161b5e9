/**
 * A URL's trailing run of `/` (or a host's of `.`) is cut in time linear in it. `/\/+$/` and `/\.+$/` try each
 * position of a run that something other than the run ends to the run's end: a backend URL whose path holds 60,000
 * `/` before its last segment held the event loop ~3 s at each start and reload that built its backend (every stream in
 * flight stopped), the profile's link-local check took as long for a host of dots, and `aigw import envoy` for a
 * schema prefix of slashes — quadratic in the run.
 */
import { describe, expect, it } from 'vitest';
import { isLinkLocal } from '../../src/profile/checks.js';
import { gatewayFor, profileFor } from '../helpers/gateway.js';
import { BASE, imported } from '../unit/bridge/manifests.js';

const RUN = 60_000;

const timed = async <T>(f: () => T | Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const out = await f();
  return [out, performance.now() - started];
};

const profile = (path: string) => `
version: 1
backends:
  a: { url: "http://127.0.0.1:9${path}" }
models:
  m: { targets: [{ backend: a }] }
`;

describe('a long run of / or . in a URL', () => {
  it('a reload to a backend whose path holds one holds the loop for milliseconds (~3 s before)', async () => {
    const g = await gatewayFor(profile('/v1'));
    try {
      const next = profileFor(profile(`/v1${'/'.repeat(RUN)}x`));
      const [applied, ms] = await timed(() => g.stack.reload(next));
      expect(applied).toMatchObject({ ok: true });
      expect(ms).toBeLessThan(500);
    } finally {
      await g.close();
    }
  });

  it('a host of dots is checked at once', async () => {
    const [linkLocal, ms] = await timed(() => isLinkLocal(`a${'.'.repeat(RUN)}b`));
    expect(linkLocal).toBe(false);
    expect(ms).toBeLessThan(300);
    expect(isLinkLocal('metadata.google.internal...')).toBe(true);
  });

  it('an imported schema prefix of slashes is read at once', async () => {
    const asb = BASE.replace('schema: {name: OpenAI}', `schema: {name: OpenAI, prefix: "/a${'/'.repeat(RUN)}b"}`);
    const [r, ms] = await timed(() => imported(asb));
    expect(r.problems).toEqual([]);
    expect(ms).toBeLessThan(500);
  });
});
