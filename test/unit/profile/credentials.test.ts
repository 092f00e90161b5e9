/**
 * What a response header must never carry back, per backend: what that backend was sent as credentials — its
 * key and the headers named as credentials (by whole words: `x-api-key`, not `x-portkey-provider`), also
 * lowercased. Nothing of another backend's, and no client's key (backends are never sent those).
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { credentialsByBackend, secretsOf } from '../../../src/profile/secrets.js';

const profile = `version: 1
backends:
  a:
    url: "http://127.0.0.1:1"
    apiKey: "\${A_KEY}"
    headers:
      x-goog-api-key: Goog-Key-123
      ocp-apim-subscription-key: sub-key-456
      x-amz-security-token: tok-789
      x-portkey-provider: Anthropic
      x-author: team-a
      accept: application/json
  b: { url: "http://127.0.0.1:2" }
models:
  m: { targets: [{ backend: a }, { backend: b }] }
tenants:
  t: { keys: ["sk-tenant-key-0001"] }
`;

describe('the credentials a backend could echo', () => {
  it('are its key and its credential-named headers, by whole words, also lowercased — nothing else', () => {
    const r = parseProfile(profile, 'p.yaml', { A_KEY: 'sk-Backend-A-9999' });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const byBackend = credentialsByBackend(r.profile);
    expect(new Set(byBackend.get('a'))).toEqual(
      new Set(['sk-Backend-A-9999', 'sk-backend-a-9999', 'Goog-Key-123', 'goog-key-123', 'sub-key-456', 'tok-789']),
    );
    expect(byBackend.get('b')).toEqual([]);
  });

  it('names a header a credential by its words', () => {
    const names = (list: string[]) =>
      list.filter((h) => {
        const r = parseProfile(
          `version: 1\nbackends:\n  a: { url: "http://127.0.0.1:1", headers: { ${h}: some-value-1 } }\nmodels:\n  m: { targets: [{ backend: a }] }\n`,
          'p.yaml',
          {},
        );
        if (!r.ok) throw new Error(JSON.stringify(r.problems));
        return credentialsByBackend(r.profile).get('a')!.length > 0;
      });
    const credentials = [
      'authorization',
      'proxy-authorization',
      'x-api-key',
      'api-key',
      'x-goog-api-key',
      'ocp-apim-subscription-key',
      'x-amz-security-token',
      'x-auth-token',
      'private-token',
      'x-access-token',
      'cf-access-client-secret',
      'cf-access-jwt-assertion',
      'x-authentication',
      'x-authkey',
      'x-apitoken',
      'x-accesstoken',
      'x-api-keys',
      'cookie',
    ];
    expect(names(credentials)).toEqual(credentials);
    expect(names(['x-portkey-provider', 'accept', 'x-team', 'x-author', 'x-tokenizer', 'x-keyboard', 'anthropic-version'])).toEqual([]);
  });
});

describe("a Redis URL's credentials among the profile's secrets", () => {
  it.each([
    ['a password query parameter, encoded', 'redis://h:6379/?db=0&password=p%40ss+w0rd', ['p%40ss+w0rd', 'p@ss w0rd']],
    ['a userinfo password holding an @ (read to the last @, as ioredis reads it)', 'redis://u:pa@ss@h:6379/', ['pa%40ss', 'pa@ss', 'u']],
    ['a user name alone', 'rediss://secret-user@h:6380/', ['secret-user']],
  ])('%s', (_name, redis, want) => {
    const r = parseProfile(
      `version: 1\nlimits: { store: { redis: "${redis}" } }\nbackends:\n  a: { url: "http://127.0.0.1:1" }\nmodels:\n  m: { targets: [{ backend: a }] }\n`,
      'p.yaml',
      {},
    );
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
    expect(secretsOf(r.profile)).toEqual(expect.arrayContaining(want));
  });
});
