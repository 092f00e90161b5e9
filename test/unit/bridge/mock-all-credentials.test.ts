/**
 * `--mock-all` "replaces every backend by a mock of its kind (no credentials needed)": it dropped `apiKey` only. A key
 * held in a header (`authorization: Bearer ${KEY}`, `x-goog-api-key`, or the header `import envoy` writes for an APIKey
 * policy on an Anthropic backend) stayed — its variable unset, the load failed (exit 2 for validate, serve and bench),
 * and set, the real key went to the mock. Now every credential header goes with the apiKey; other headers stay.
 */
import { describe, expect, it } from 'vitest';
import { loadProfileOrManifests } from '../../../src/bridge/load.js';
import { docs, ROUTE, write } from './manifests.js';

describe('--mock-all and a credential in a header', () => {
  it('a profile: loads without the variable; the mock gets no credential header, the others stay', async () => {
    const file = write(
      'mock-all-headers.yaml',
      `version: 1
backends:
  b: { url: https://api.example.com, headers: { authorization: "Bearer \${SOME_UNSET_KEY}", X-Goog-Api-Key: "\${OTHER_UNSET}", x-team: a } }
  c: { url: https://claude.example.com, kind: anthropic, headers: { x-api-key: "\${CLAUDE_UNSET}" } }
models:
  m: { targets: [{ backend: b }, { backend: c }] }
`,
    );
    const r = await loadProfileOrManifests(file, {}, { mockAll: true });
    expect(r.ok ? [] : r.problems.map((p) => p.message)).toEqual([]);
    if (!r.ok) return;
    expect(r.profile.backends.b!.headers).toEqual({ 'x-team': 'a' });
    expect(r.profile.backends.c!.headers).toEqual({});
    expect(r.profile.backends.c!.apiKey).toBe('aigw-mock-key');
  });

  it('manifests whose key policy imports as a header: load without the variable', async () => {
    const file = write(
      'mock-all-key-header.yaml',
      docs(
        ROUTE,
        `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: b1}
spec:
  schema: {name: Anthropic}
  backendRef: {name: b1, kind: Backend, group: gateway.envoyproxy.io}`,
        `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: b1}
spec:
  endpoints: [{fqdn: {hostname: llm.internal, port: 8000}}]`,
        `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: b1-key}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: b1}]
  type: APIKey
  apiKey: {secretRef: {name: b1-key}}`,
      ),
    );
    const r = await loadProfileOrManifests(file, {}, { mockAll: true });
    expect(r.ok ? [] : r.problems.map((p) => p.message)).toEqual([]);
  });
});
