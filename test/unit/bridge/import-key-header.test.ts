/**
 * A BackendSecurityPolicy's type says which header the key goes in (the CRD: APIKey → Authorization, AnthropicAPIKey →
 * x-api-key, AzureAPIKey → api-key), whatever the backend's schema. The import made every key the backend's `apiKey`,
 * which aigw sends in its kind's header: an Anthropic-schema backend with an APIKey policy (vLLM's /v1/messages behind
 * `--api-key`, which reads `Authorization: Bearer`) got `x-api-key` from aigw — 401 for every request the cluster
 * serves — and an OpenAI one with AnthropicAPIKey got a Bearer token. Now a key whose header is not its kind's is
 * imported as that header, the variable in it, and said.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { renderDocument } from '../../../src/bridge/envoy/render-yaml.js';
import { docs, imported, ROUTE } from './manifests.js';

const backend = (schema: string, type: string, field: string) =>
  docs(
    ROUTE,
    `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: b1}
spec:
  schema: {name: ${schema}}
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
  type: ${type}
  ${field}: {secretRef: {name: b1-key}}`,
    `apiVersion: v1
kind: Secret
metadata: {name: b1-key}
stringData: {apiKey: sk-real}`,
  );

type B = { kind?: string; apiKey?: string; headers?: Record<string, string> };

describe("a key in another header than the backend's kind sends its apiKey in", () => {
  it('Anthropic schema, APIKey policy: sent as Authorization: Bearer, as the cluster sends it', () => {
    const r = imported(backend('Anthropic', 'APIKey', 'apiKey'));
    expect(r.problems).toEqual([]);
    const b = (r.profile.backends as Record<string, B>).b1!;
    expect(b).toMatchObject({ kind: 'anthropic', headers: { authorization: 'Bearer ${B1_KEY}' } });
    expect(b.apiKey).toBeUndefined();
    expect(r.said).toMatch(/BackendSecurityPolicy\/default\/b1-key\.spec\.type: .*Authorization.*headers\.authorization/);
    const loaded = parseProfile(renderDocument(r.profile), 'p.yaml', { B1_KEY: 'sk-real' });
    expect(loaded.ok ? [] : loaded.problems.map((p) => p.message)).toEqual([]);
    if (loaded.ok) expect(loaded.warnings.map((w) => w.message).join('\n')).not.toMatch(/needs a credential/);
  });

  it('OpenAI schema, AnthropicAPIKey policy: sent as x-api-key', () => {
    const r = imported(backend('OpenAI', 'AnthropicAPIKey', 'anthropicAPIKey'));
    const b = (r.profile.backends as Record<string, B>).b1!;
    expect(b.headers).toEqual({ 'x-api-key': '${B1_KEY}' });
    expect(b.apiKey).toBeUndefined();
  });

  it('Anthropic schema, AnthropicAPIKey policy: the apiKey, nothing said of the header', () => {
    const r = imported(backend('Anthropic', 'AnthropicAPIKey', 'anthropicAPIKey'));
    const b = (r.profile.backends as Record<string, B>).b1!;
    expect(b).toMatchObject({ kind: 'anthropic', apiKey: '${B1_KEY}' });
    expect(b.headers).toBeUndefined();
    expect(r.said).not.toMatch(/spec\.type/);
  });
});
