/**
 * A Gateway's policy applies to the routes attached to that Gateway (attacker review, trust 85). Its reach was read as
 * every imported route without a policy of its own, whichever Gateway the route's parentRefs name: with route r on
 * Gateway gw and route r2 on Gateway gw2, gw's circuit breaker was written on r2's backend too, gw's rate limit counted
 * on r2's model (a tenant's 100 rpm across both models, where the cluster limits m1 only), and gw's API keys were read
 * as asked on every route — m2, which takes requests without a key in the cluster, went unsaid.
 */
import { describe, expect, it } from 'vitest';
import { backend, docs, imported, ROUTE } from './manifests.js';

/** Route `r` (m1 → b1) on Gateway gw and route `r2` (m2 → b2) on Gateway gw2. */
const TWO_GATEWAYS = docs(
  ROUTE,
  ROUTE.replace('name: r}', 'name: r2}')
    .replace('parentRefs: [{name: gw}]', 'parentRefs: [{name: gw2}]')
    .replace('value: m1}]}]', 'value: m2}]}]')
    .replace('backendRefs: [{name: b1}]', 'backendRefs: [{name: b2}]'),
  backend('b1'),
  backend('b2'),
);

const refs = (gateways: string[]) => `[${gateways.map((g) => `{group: gateway.networking.k8s.io, kind: Gateway, name: ${g}}`).join(', ')}]`;

/** A SecurityPolicy on these Gateways asking for the keys of Secret `keys` (client ids `ids`). */
const keysOn = (gateways: string[], ids: string[]) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: sp-${gateways.join('-')}}
spec:
  targetRefs: ${refs(gateways)}
  apiKeyAuth:
    credentialRefs: [{name: keys}]
    extractFrom: [{headers: [authorization]}]
    forwardClientIDHeader: x-aigw-tenant
---
apiVersion: v1
kind: Secret
metadata: {name: keys}
stringData: {${ids.map((id) => `${id}: "\${${id.toUpperCase()}_KEY}"`).join(', ')}}`;

/** A BackendTrafficPolicy on these Gateways with `spec` (YAML flow mapping entries). */
const trafficOn = (gateways: string[], spec: string) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: btp-${gateways.join('-')}}
spec: {targetRefs: ${refs(gateways)}, ${spec}}`;

const LIMIT_ALICE =
  'rateLimit: {type: Global, global: {rules: [{clientSelectors: [{headers: [{name: x-aigw-tenant, type: Exact, value: alice}]}], ' +
  'limit: {requests: 100, unit: Minute}, shared: true}]}}';

type Tenant = { models?: string[]; limits?: Record<string, number>; modelLimits?: Record<string, Record<string, number>> };
const tenants = (r: ReturnType<typeof imported>) => r.profile.tenants as Record<string, Tenant>;
const backends = (r: ReturnType<typeof imported>) => r.profile.backends as Record<string, { maxConnections?: number }>;

describe('a policy on one of two Gateways', () => {
  it("its circuit breaker: on its route's backend only", () => {
    const r = imported(docs(TWO_GATEWAYS, trafficOn(['gw'], 'circuitBreaker: {maxConnections: 50}')));
    expect(r.problems).toEqual([]);
    expect(backends(r).b1!.maxConnections).toBe(50);
    expect(backends(r).b2!.maxConnections).toBeUndefined();
  });

  it("its rate limit: on its route's model only", () => {
    const r = imported(docs(TWO_GATEWAYS, keysOn(['gw', 'gw2'], ['alice']), trafficOn(['gw'], LIMIT_ALICE)));
    expect(r.problems).toEqual([]);
    expect(tenants(r).alice!.limits).toBeUndefined();
    expect(tenants(r).alice!.modelLimits).toEqual({ m1: { rpm: 100 } });
  });

  it("its API keys: the other Gateway's model takes requests without one, said", () => {
    const r = imported(docs(TWO_GATEWAYS, keysOn(['gw'], ['alice'])));
    expect(r.problems).toEqual([]);
    expect(r.said).toMatch(/the cluster asks for an API key on the routes these policies name only: models m2 take requests without one/);
  });

  it('a route of its own on each Gateway, the policy on both: every route, nothing narrowed (the control)', () => {
    const r = imported(
      docs(
        TWO_GATEWAYS,
        keysOn(['gw', 'gw2'], ['alice']),
        trafficOn(['gw', 'gw2'], `circuitBreaker: {maxConnections: 50}, ${LIMIT_ALICE}`),
      ),
    );
    expect(r.problems).toEqual([]);
    expect(tenants(r).alice!.limits).toEqual({ rpm: 100 });
    expect(tenants(r).alice!.models).toBeUndefined();
    expect(backends(r).b2!.maxConnections).toBe(50);
    expect(r.said).not.toMatch(/take requests without one/);
  });
});
