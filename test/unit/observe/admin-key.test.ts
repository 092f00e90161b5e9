// The admin listener's key (admin.key): any non-empty string the profile takes, sent as `aigw top` sends it
// (`Bearer ${key}`), the scheme in any case; anything but the key is refused.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminServer } from '../../../src/observe/admin-server.js';
import { parseProfile } from '../../../src/profile/load.js';
import { keyProblem } from '../../../src/tui/admin-target.js';

// A passphrase, a tab, a no-break space: keys the profile and `aigw top` both take (found in review: a reader that
// refused whitespace in the key locked such an operator out of every admin request).
const KEYS = ['correct horse battery staple', 'tab\tkey', 'nbsp\u00a0key', ' leading space'];
let key = KEYS[0]!;
const server = createAdminServer({ '/aigw/stats': (_req, res) => res.end('{}') }, () => key);
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const status = async (authorization: string) => (await fetch(`${base}/aigw/stats`, { headers: { authorization } })).status;

describe('the admin key', () => {
  it('lets in any key the profile and `aigw top` take, sent as `aigw top` sends it', async () => {
    for (const k of KEYS) {
      key = k;
      const loaded = parseProfile(
        `version: 1\nadmin: { key: ${JSON.stringify(k)} }\nbackends: { a: { url: "http://127.0.0.1:1" } }\nmodels: { m: { targets: [{ backend: a }] } }\n`,
        'p.yaml',
        {},
      );
      expect(loaded.ok && loaded.profile.admin.key, 'the profile takes it').toBe(k);
      expect(keyProblem(k), '`aigw top` sends it').toBeUndefined();
      expect(await status(`Bearer ${k}`), JSON.stringify(k)).toBe(200);
    }
  });

  it('is refused at load when no request could send it, and flagged when most clients would send it otherwise', () => {
    const load = (k: string) =>
      parseProfile(
        `version: 1\nadmin: { key: ${JSON.stringify(k)} }\nbackends: { a: { url: "http://127.0.0.1:1" } }\nmodels: { m: { targets: [{ backend: a }] } }\n`,
        'p.yaml',
        {},
      );
    // HTTP drops a header's trailing whitespace and takes no control character: these are never what arrives.
    // Node reads a header's bytes as Latin-1: a character past U+00FF never arrives (such a key validated with a warning,
    // then every admin request was a 401 and `aigw top` refused the key).
    for (const k of ['trailing space ', 'trailing tab\t', 'newline\n', 'nul\u0000key', 'bell\u0007', '密码', 'clef-🔑', 'пароль']) {
      const r = load(k);
      expect(r.ok, JSON.stringify(k)).toBe(false);
      if (!r.ok) expect(r.problems.map((p) => p.message).join('\n')).toContain('no request can send it');
    }
    const clé = load('clé');
    expect(clé.ok && clé.warnings.map((w) => w.message).join('\n')).toContain('beyond ASCII');
    const plain = load('correct horse battery staple');
    expect(plain.ok && plain.warnings.filter((w) => w.path.startsWith('admin'))).toEqual([]);
  });

  it('reads the scheme in any case (RFC 9110)', async () => {
    key = KEYS[0]!;
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) expect(await status(`${scheme} ${key}`), scheme).toBe(200);
  });

  it('refuses anything but the key', async () => {
    key = KEYS[0]!;
    for (const value of [
      'Bearer correct horse battery',
      'Bearer correct horse battery staple extra',
      'Bearer  correct horse battery staple',
      'Bearer',
      'Bearer ',
      'Basic correct horse battery staple',
      'Bearercorrect horse battery staple',
      'correct horse battery staple',
    ])
      expect(await status(value), value).toBe(401);
  });
});
