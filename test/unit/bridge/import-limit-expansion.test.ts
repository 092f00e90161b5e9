/**
 * Rate-limit rules that multiply. A rule not `shared` is a limit on each model, a Distinct rule one on each tenant:
 * one such rule over 400 models and 400 client ids (50 KB of manifests, far under the YAML budget) was 160,000 tenant
 * limits, a 37 s load; over a thousand of each (124 KB), a million, 1.4 GB and 6 minutes — at a reload, the serving
 * gateway blocked. Past a bound the import is refused, at the rule, before the limits are built.
 */
import { describe, expect, it } from 'vitest';
import { importEnvoy } from '../../../src/bridge/envoy/import.js';

function manifests(models: number, clients: number): string {
  const rules = Array.from(
    { length: models },
    (_, i) => `    - {matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m${i}}]}], backendRefs: [{name: b}]}`,
  );
  const ids = Array.from({ length: clients }, (_, i) => `c${i}: "\${K${i}}"`).join(', ');
  return `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules:
${rules.join('\n')}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: b}
spec: {schema: {name: OpenAI}, backendRef: {name: b, kind: Backend, group: gateway.envoyproxy.io}}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: b}
spec: {endpoints: [{fqdn: {hostname: b.example.com, port: 443}}]}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: sp}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
  apiKeyAuth: {credentialRefs: [{name: keys}], extractFrom: [{headers: [authorization]}], forwardClientIDHeader: x-aigw-tenant}
---
apiVersion: v1
kind: Secret
metadata: {name: keys}
stringData: {${ids}}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: limits}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors: [{headers: [{name: x-aigw-tenant, type: Distinct}]}]
          limit: {requests: 100, unit: Minute}
`;
}

describe('rate-limit rules that expand to a tenant limit per tenant and model', () => {
  it('400 models × 400 client ids: refused at the rule', () => {
    const r = importEnvoy([{ file: 'x.yaml', text: manifests(400, 400) }]);
    expect(r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(
        /^BackendTrafficPolicy\/default\/limits\.spec\.rateLimit\.global\.rules\[0\]: .*160,000 tenant limits .* more than an import writes \(100,000\)/,
      ),
    ]);
  });

  it('a hundred models × a hundred client ids: imported, a limit on each', () => {
    const r = importEnvoy([{ file: 'x.yaml', text: manifests(100, 100) }]);
    expect(r.problems).toEqual([]);
    const tenants = r.profile.tenants as Record<string, { modelLimits: Record<string, { rpm: number }> }>;
    expect(Object.keys(tenants)).toHaveLength(100);
    expect(Object.keys(tenants.c7!.modelLimits)).toHaveLength(100);
  });
});
