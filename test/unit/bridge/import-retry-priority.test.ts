/**
 * A retry policy without `numAttemptsPerPriority` (or at 0) keeps every retry on the highest healthy priority (the CRD:
 * "all requests are sent to the highest priority that is healthy"): the cluster reaches a rule's priority-1 backends only
 * once priority 0 is ejected, never by retrying one request. aigw makes the priority a fallback model and fails over
 * to it within `resilience.attempts`; the import said nothing of the difference. It is said now; with
 * numAttemptsPerPriority set (the provider_fallback example), what it says is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { backend, docs, imported } from './manifests.js';

const ROUTE = `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m1}]}]
      backendRefs: [{name: b1, priority: 0}, {name: b2, priority: 1}]`;

const retry = (extra: string) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: t}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
  retry: {numRetries: 2${extra}}
`;

describe('retries and priorities', () => {
  for (const extra of ['', ', numAttemptsPerPriority: 0']) {
    it(`retry {numRetries: 2${extra}}: the cluster retries priority 0 only, said`, () => {
      const r = imported(docs(ROUTE, backend('b1'), backend('b2'), retry(extra)));
      expect(r.problems).toEqual([]);
      expect(r.said).toMatch(/retries stay on the highest healthy priority/);
    });
  }

  it('numAttemptsPerPriority: 1 moves on: not said', () => {
    const r = imported(docs(ROUTE, backend('b1'), backend('b2'), retry(', numAttemptsPerPriority: 1')));
    expect(r.said).not.toMatch(/retries stay on the highest healthy priority/);
  });
});
