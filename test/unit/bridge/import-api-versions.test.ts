/**
 * Objects of an apiVersion the cluster does not serve for their kind: `kubectl apply` refuses each ("no matches for kind
 * … in version …") and applies the rest, so the cluster runs without them. The import read a kind whatever its group
 * and version: a ClientTrafficPolicy at `gateway.envoyproxy.io/v1` (no such version) imported its 50Mi bufferLimit —
 * `bench --scenario long` passed where the cluster keeps Envoy Gateway's 32Ki and answers 413 to every prompt over it;
 * an AIGatewayRoute at a version the CRD does not serve was a model aigw answered and the cluster 404s. Such objects
 * are now skipped, said, and the served versions (v1alpha1 and v1beta1 of Envoy AI Gateway's kinds, Gateway API's
 * v1beta1 and v1alpha3 where served) read as before.
 */
import { describe, expect, it } from 'vitest';
import { BASE, backend, docs, imported } from './manifests.js';

const bufferPolicy = (apiVersion: string) => `apiVersion: ${apiVersion}
kind: ClientTrafficPolicy
metadata: {name: client}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
  connection: {bufferLimit: 50Mi}`;

const limits = (r: ReturnType<typeof imported>) =>
  (r.profile.limits as { responseBuffer: { maxBytes: string }; maxRequestBytes: string } | undefined) ?? undefined;

describe('an apiVersion the cluster does not serve', () => {
  it('a ClientTrafficPolicy at gateway.envoyproxy.io/v1: not read (the cluster keeps 32Ki), skipped and said', () => {
    const r = imported(docs(BASE, bufferPolicy('gateway.envoyproxy.io/v1')));
    expect(r.problems).toEqual([]);
    expect(limits(r)?.responseBuffer.maxBytes).toBe('32Ki');
    expect(limits(r)?.maxRequestBytes).toBe('32Ki');
    expect(r.said).toMatch(
      /ClientTrafficPolicy\/default\/client\.apiVersion: .*gateway\.envoyproxy\.io\/v1" is not served.*gateway\.envoyproxy\.io\/v1alpha1/,
    );
    expect(r.skipped.map((s) => `${s.kind} ${s.name}`)).toContain('ClientTrafficPolicy default/client');
  });

  it('the same policy at its served version is read: 50Mi', () => {
    const r = imported(docs(BASE, bufferPolicy('gateway.envoyproxy.io/v1alpha1')));
    expect(limits(r)?.responseBuffer.maxBytes).toBe('50Mi');
    expect(r.said).not.toMatch(/not served/);
  });

  it('a kind of another group (a policy named like Envoy Gateway’s): not read', () => {
    const r = imported(docs(BASE, bufferPolicy('policy.example.com/v1')));
    expect(limits(r)?.responseBuffer.maxBytes).toBe('32Ki');
    expect(r.skipped.map((s) => s.kind)).toContain('ClientTrafficPolicy');
  });

  it('an AIGatewayRoute at an unserved version: its models are not imported; v1alpha1 (still served) is read', () => {
    const route = (apiVersion: string, name: string, model: string, b: string) => `apiVersion: ${apiVersion}
kind: AIGatewayRoute
metadata: {name: ${name}}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: ${model}}]}]
      backendRefs: [{name: ${b}}]`;
    const r = imported(
      docs(
        BASE,
        backend('b2'),
        route('aigateway.envoyproxy.io/v2', 'r2', 'm2', 'b2'),
        route('aigateway.envoyproxy.io/v1alpha1', 'r3', 'm3', 'b2'),
      ),
    );
    expect(r.problems).toEqual([]);
    expect(Object.keys(r.profile.models as object).sort()).toEqual(['m1', 'm3']);
    expect(r.said).toMatch(/AIGatewayRoute\/default\/r2\.apiVersion: .*aigateway\.envoyproxy\.io\/v2" is not served/);
  });

  it('with every route unserved: nothing to import, and the skipped list says why', () => {
    const r = imported(BASE.replace(/aigateway\.envoyproxy\.io\/v1beta1/g, 'aigateway.envoyproxy.io/v1'));
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(/nothing to import/);
    expect(r.skipped.map((s) => s.reason).join('\n')).toMatch(/apiVersion aigateway\.envoyproxy\.io\/v1 is not served for AIGatewayRoute/);
  });
});
