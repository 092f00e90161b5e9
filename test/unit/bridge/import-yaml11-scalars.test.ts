/**
 * Manifests are read as kubectl reads them (sigs.k8s.io/yaml over go-yaml v2: YAML 1.1's scalars), not as YAML 1.2:
 * `shared: yes` is true there and `weight: 010` eight. Read as 1.2, the import took `yes` for text (a rule not shared:
 * the tenant's one limit became a limit on each model) and `010` for ten (a 10:1 split where the cluster sends 8:1).
 * What go-yaml v2 leaves as text (`1:30`, a date) stays text.
 */
import { describe, expect, it } from 'vitest';
import { apiKeys, backend, docs, imported, ROUTE, rateLimits, rule } from './manifests.js';

const TWO_MODELS = `${ROUTE}
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m2}]}]
      backendRefs: [{name: b1}]
---
${backend('b1')}`;

type Tenants = Record<string, { limits?: Record<string, number>; modelLimits?: Record<string, Record<string, number>> }>;
type Models = Record<string, { targets: { backend: string; model?: string; weight?: number }[] }>;

describe('manifest scalars read as YAML 1.1 (kubectl)', () => {
  for (const yes of ['yes', 'on', 'Y', 'True']) {
    it(`shared: ${yes} is a shared rule: the tenant's limit across the models`, () => {
      const r = imported(
        docs(TWO_MODELS, apiKeys({ alice: '${ALICE_KEY}' }), rateLimits(`${rule('alice', 100, 'Minute')}\n          shared: ${yes}`)),
      );
      expect(r.problems).toEqual([]);
      const alice = (r.profile.tenants as Tenants).alice!;
      expect(alice.limits).toEqual({ rpm: 100 });
      expect(alice.modelLimits).toBeUndefined();
      expect(r.said).not.toMatch(/not shared/);
    });
  }

  it('weights 010 and 0b1 are 8 and 1', () => {
    const route = `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m1}]}]
      backendRefs: [{name: b1, weight: 010}, {name: b2, weight: 0b1}]`;
    const r = imported(docs(route, backend('b1'), backend('b2')));
    expect(r.problems).toEqual([]);
    const weights = (r.profile.models as Models).m1!.targets.map((t) => t.weight ?? 1);
    expect(weights).toEqual([8, 1]);
  });

  it('what go-yaml v2 reads as text stays text: 10:30, a date', () => {
    const route = `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: 10:30}]}]
      backendRefs: [{name: b1, modelNameOverride: 2024-01-01}]`;
    const r = imported(docs(route, backend('b1')));
    expect(r.problems).toEqual([]);
    expect((r.profile.models as Models)['10:30']!.targets[0]!.model).toBe('2024-01-01');
  });
});
