/**
 * Policies that each reach everything. Every BackendTrafficPolicy on a Gateway applies to every backend and model: the
 * import wrote each policy's circuit breaker into every backend and its consistent hash into every model (a later one
 * replacing it) — work of policies × backends: 2,000 policies on 2,000 backends (1.6 MB of manifests, under the YAML
 * budget) took 18 s, at a reload the serving gateway blocked. And each SecurityPolicy naming a Secret of client ids read
 * it again. Each policy is now read once and the profile written once: 8× the objects take about 8× the time of the
 * import, not 64× or more (the bound, 24×, is 3× from either).
 */
import { describe, expect, it } from 'vitest';
import { importManifests } from '../../../src/bridge/envoy/import.js';
import { type Manifest, readManifests } from '../../../src/bridge/envoy/manifests.js';

/** n backends (each its own model, m0 with two targets), one route for them all on Gateway gw, and n policies on gw. */
function manifests(n: number): Manifest[] {
  const rules = Array.from({ length: n }, (_, i) =>
    i === 0
      ? '    - {matches: [{headers: [{name: x-ai-eg-model, value: m0}]}], backendRefs: [{name: b0}, {name: b1}]}'
      : `    - {matches: [{headers: [{name: x-ai-eg-model, value: m${i}}]}], backendRefs: [{name: b${i}}]}`,
  );
  const out = [
    `apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata: {name: r}\nspec:\n  parentRefs: [{name: gw}]\n  rules:\n${rules.join('\n')}`,
  ];
  for (let i = 0; i < n; i++) {
    out.push(
      `apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIServiceBackend\nmetadata: {name: b${i}}\n` +
        `spec: {schema: {name: OpenAI}, backendRef: {name: b${i}, kind: Backend, group: gateway.envoyproxy.io}}`,
      `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {name: b${i}}\n` +
        `spec: {endpoints: [{fqdn: {hostname: b${i}.example.com, port: 443}}]}`,
      `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata: {name: p${i}}\n` +
        `spec: {targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}], ` +
        `circuitBreaker: {maxConnections: ${i + 1}, maxPendingRequests: ${i}}, ` +
        'loadBalancer: {type: ConsistentHash, consistentHash: {type: Header, header: {name: x-session}}}}',
    );
  }
  const r = readManifests(out.join('\n---\n'), 'x.yaml');
  expect(r.problems).toEqual([]);
  return r.manifests;
}

/** CPU time of the import alone (the manifests read before), the best of three. */
function importMs(ms: Manifest[]): number {
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t = process.cpuUsage();
    const r = importManifests(ms);
    const { user, system } = process.cpuUsage(t);
    expect(r.problems).toEqual([]);
    best = Math.min(best, user + system);
  }
  return best;
}

describe('BackendTrafficPolicies that each reach every backend and model', () => {
  it('the last one’s circuit breaker and hash, written once: 8× the policies and backends, far under 64× the time', {
    timeout: 120_000,
  }, () => {
    const small = manifests(250);
    const large = manifests(2000);
    const r = importManifests(large);
    const b = r.profile.backends as Record<string, { maxConnections: number; pool: { queue: number } }>;
    expect(b.b1999).toMatchObject({ maxConnections: 2000, pool: { queue: 1999 } });
    expect((r.profile.models as Record<string, { sticky?: unknown }>).m0!.sticky).toEqual({ header: 'x-session' });
    importMs(small); // warm up
    const ratio = importMs(large) / importMs(small);
    expect(ratio).toBeLessThan(24);
  });
});

/** n SecurityPolicies on Gateway gw, each naming Secret keys, which holds n client ids. */
function keyPolicies(n: number): Manifest[] {
  const ids = Array.from({ length: n }, (_, i) => `c${i}: "\${K${i}}"`).join(', ');
  const out = [
    'apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata: {name: r}\nspec:\n  parentRefs: [{name: gw}]\n' +
      '  rules: [{matches: [{headers: [{name: x-ai-eg-model, value: m}]}], backendRefs: [{name: b}]}]',
    'apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIServiceBackend\nmetadata: {name: b}\n' +
      'spec: {schema: {name: OpenAI}, backendRef: {name: b, kind: Backend, group: gateway.envoyproxy.io}}',
    `apiVersion: v1\nkind: Secret\nmetadata: {name: keys}\nstringData: {${ids}}`,
  ];
  for (let i = 0; i < n; i++) {
    out.push(
      `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p${i}}\n` +
        'spec: {targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}], ' +
        'apiKeyAuth: {credentialRefs: [{name: keys}], extractFrom: [{headers: [authorization]}]}}',
    );
  }
  const r = readManifests(out.join('\n---\n'), 'x.yaml');
  expect(r.problems).toEqual([]);
  return r.manifests;
}

describe('SecurityPolicies that each name one Secret of client ids', () => {
  it('the Secret is read once: 8× the policies and ids, far under 64× the time', { timeout: 120_000 }, () => {
    const small = keyPolicies(500);
    const large = keyPolicies(4000);
    expect(Object.keys(importManifests(large).profile.tenants as object)).toHaveLength(4000);
    importMs(small); // warm up
    const ratio = importMs(large) / importMs(small);
    expect(ratio).toBeLessThan(24);
  });
});
