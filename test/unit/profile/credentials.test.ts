/**
 * What a response header must never carry back, per backend: what that backend was sent as credentials — its
 * key and the headers named as credentials (by whole words: `x-api-key`, not `x-portkey-provider`), also
 * lowercased. Nothing of another backend's, and no client's key (backends are never sent those).
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { credentialsByBackend } from '../../../src/profile/secrets.js';

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
});
