/**
 * A rate-limit policy on some of the routes limits their models only. Envoy Gateway applies a BackendTrafficPolicy to
 * the HTTPRoutes it targets; the import read every rule as if it covered every model: a tenant's 100 rpm on the premium route became the tenant's 100 rpm across all models
 * (`shared`), or 100 on each model (not shared) — every request to the cheap model, which the cluster never limits,
 * counted and refused past it.
 */
import { describe, expect, it } from 'vitest';
import { backend, docs, imported, ROUTE } from './manifests.js';

/** Route `r` (m1 → b1) and route `r2` (m2 → b2), both on Gateway gw, whose apiKeyAuth knows client alice. */
const TWO_ROUTES = docs(
  ROUTE,
  ROUTE.replace('name: r}', 'name: r2}')
    .replace('value: m1}]}]', 'value: m2}]}]')
    .replace('backendRefs: [{name: b1}]', 'backendRefs: [{name: b2}]'),
  backend('b1'),
  backend('b2'),
  `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: sp}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
  apiKeyAuth:
    credentialRefs: [{name: keys}]
    extractFrom: [{headers: [authorization]}]
    forwardClientIDHeader: x-aigw-tenant
---
apiVersion: v1
kind: Secret
metadata: {name: keys}
stringData: {alice: "\${ALICE_KEY}"}`,
);

/** A BackendTrafficPolicy on `kind`/`name` limiting alice to 100 requests a minute (optionally on one model). */
const limitOn = (kind: string, name: string, more = '', model?: string) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: limit-${name}}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: ${kind}, name: ${name}}]
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors: [{headers: [{name: x-aigw-tenant, type: Exact, value: alice}${
          model ? `, {name: x-ai-eg-model, type: Exact, value: ${model}}` : ''
        }]}]
          limit: {requests: 100, unit: Minute}
${more}`;

type Tenant = { limits?: Record<string, number>; modelLimits?: Record<string, Record<string, number>> };
const alice = (r: ReturnType<typeof imported>) => (r.profile.tenants as Record<string, Tenant>).alice!;

describe('a rate limit on one route', () => {
  it("shared, on route r2's HTTPRoute: a limit on m2, not the tenant's across m1 too", () => {
    const r = imported(docs(TWO_ROUTES, limitOn('HTTPRoute', 'r2', '          shared: true')));
    expect(r.problems).toEqual([]);
    expect(alice(r).limits).toBeUndefined();
    expect(alice(r).modelLimits).toEqual({ m2: { rpm: 100 } });
  });

  it("not shared, on route r2's HTTPRoute: a limit on m2 only, not on each of m1 and m2", () => {
    const r = imported(docs(TWO_ROUTES, limitOn('HTTPRoute', 'r2')));
    expect(r.problems).toEqual([]);
    expect(alice(r).limits).toBeUndefined();
    expect(alice(r).modelLimits).toEqual({ m2: { rpm: 100 } });
  });

  it('a rule naming a model the policy does not reach is never applied by the cluster: not imported, said', () => {
    const r = imported(docs(TWO_ROUTES, limitOn('HTTPRoute', 'r2', '', 'm1')));
    expect(r.problems).toEqual([]);
    expect(alice(r).modelLimits).toBeUndefined();
    expect(r.said).toMatch(/limit-r2.*model m1 is not routed by the routes this policy applies to/);
  });

  it('on the Gateway, every route under it: the tenant’s limit, as before', () => {
    const r = imported(docs(TWO_ROUTES, limitOn('Gateway', 'gw', '          shared: true')));
    expect(r.problems).toEqual([]);
    expect(alice(r).limits).toEqual({ rpm: 100 });
  });
});
