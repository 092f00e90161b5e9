/**
 * A Gateway's policy applies to the routes without one of their own: Envoy Gateway applies only a route's most
 * specific policy of a kind (no mergeType). With two routes, one with its own policy, the import read the Gateway's as
 * applying to every route beside the route's own: the Gateway Secret's clients were tenants of every model — route
 * r's too, where the cluster asks for r's own keys and refuses theirs — and r's clients tenants of m2, where the cluster
 * refuses theirs; the Gateway's rate limit counted on m1, which the cluster does not limit there. Now each is where the
 * cluster applies it: tenants narrowed to their models, the limit on the Gateway's routes' models. Likewise what the
 * profile keeps per backend (circuit breaker) and per rule (the timeouts' longest): route r's own connection limit was
 * written on b2 too, and its 10s deadline on m2's rule, where the Gateway's 30s applies. What aigw keeps once for every
 * model (resilience.attempts) is said when the routes differ.
 */
import { describe, expect, it } from 'vitest';
import { backend, docs, imported, ROUTE } from './manifests.js';

/** Route `r` (m1 → b1) and route `r2` (m2 → b2), both on Gateway gw. */
const TWO_ROUTES = docs(
  ROUTE,
  ROUTE.replace('name: r}', 'name: r2}')
    .replace('value: m1}]}]', 'value: m2}]}]')
    .replace('backendRefs: [{name: b1}]', 'backendRefs: [{name: b2}]'),
  backend('b1'),
  backend('b2'),
);

/** A SecurityPolicy on `kind`/`name` asking for the keys of Secret `secret` (client ids `ids`). */
const keysOn = (kind: string, name: string, secret: string, ids: string[]) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: sp-${name}}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: ${kind}, name: ${name}}]
  apiKeyAuth:
    credentialRefs: [{name: ${secret}}]
    extractFrom: [{headers: [authorization]}]
    forwardClientIDHeader: x-aigw-tenant
---
apiVersion: v1
kind: Secret
metadata: {name: ${secret}}
stringData: {${ids.map((id) => `${id}: "\${${id.toUpperCase()}_KEY}"`).join(', ')}}`;

/** A BackendTrafficPolicy on `kind`/`name` limiting `tenant` to `n` requests a minute (shared across its routes). */
const limitOn = (kind: string, name: string, tenant: string, n: number) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: limit-${name}}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: ${kind}, name: ${name}}]
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors: [{headers: [{name: x-aigw-tenant, type: Exact, value: ${tenant}}]}]
          limit: {requests: ${n}, unit: Minute}
          shared: true`;

type Tenant = { models?: string[]; limits?: Record<string, number>; modelLimits?: Record<string, Record<string, number>> };
const tenants = (r: ReturnType<typeof imported>) => r.profile.tenants as Record<string, Tenant>;

describe("a Gateway's policy, where a route has its own", () => {
  it("API keys: the Gateway's clients on m2 only, route r's on m1 only, said", () => {
    const r = imported(docs(TWO_ROUTES, keysOn('Gateway', 'gw', 'gw-keys', ['everyone']), keysOn('HTTPRoute', 'r', 'r-keys', ['carol'])));
    expect(r.problems).toEqual([]);
    expect(tenants(r).everyone!.models).toEqual(['m2']);
    expect(tenants(r).carol!.models).toEqual(['m1']);
    expect(r.said).toMatch(
      /SecurityPolicy\/default\/sp-gw.*the cluster takes the keys of tenants everyone on the routes of models m2 only/,
    );
  });

  it('a client id in both Secrets: both models', () => {
    const r = imported(
      docs(TWO_ROUTES, keysOn('Gateway', 'gw', 'gw-keys', ['everyone', 'carol']), keysOn('HTTPRoute', 'r', 'r-keys', ['carol'])),
    );
    expect(r.problems).toEqual([]);
    expect(tenants(r).carol!.models).toBeUndefined();
    expect(tenants(r).everyone!.models).toEqual(['m2']);
  });

  it("rate limits: the Gateway's on m2 only, route r's on m1", () => {
    const r = imported(
      docs(
        TWO_ROUTES,
        keysOn('Gateway', 'gw', 'gw-keys', ['alice']),
        limitOn('Gateway', 'gw', 'alice', 100),
        limitOn('HTTPRoute', 'r', 'alice', 10),
      ),
    );
    expect(r.problems).toEqual([]);
    expect(tenants(r).alice!.limits).toBeUndefined();
    expect(tenants(r).alice!.modelLimits).toEqual({ m1: { rpm: 10 }, m2: { rpm: 100 } });
  });

  it('no route of its own: the Gateway policy reaches every model, nothing narrowed (the control)', () => {
    const r = imported(docs(TWO_ROUTES, keysOn('Gateway', 'gw', 'gw-keys', ['everyone']), limitOn('Gateway', 'gw', 'everyone', 100)));
    expect(r.problems).toEqual([]);
    expect(tenants(r).everyone!.models).toBeUndefined();
    expect(tenants(r).everyone!.limits).toEqual({ rpm: 100 });
  });
});

/** A BackendTrafficPolicy on `kind`/`name` with `spec` (YAML flow mapping entries). */
const trafficOn = (kind: string, name: string, spec: string) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: btp-${name}}
spec: {targetRefs: [{group: gateway.networking.k8s.io, kind: ${kind}, name: ${name}}], ${spec}}`;

describe("a Gateway's BackendTrafficPolicy, where a route has its own", () => {
  it("circuit breaker: route r's on its backend b1, the Gateway's on b2", () => {
    const r = imported(
      docs(
        TWO_ROUTES,
        trafficOn('Gateway', 'gw', 'circuitBreaker: {maxConnections: 50, maxPendingRequests: 20}'),
        trafficOn('HTTPRoute', 'r', 'circuitBreaker: {maxConnections: 5, maxPendingRequests: 2}'),
      ),
    );
    expect(r.problems).toEqual([]);
    const backends = r.profile.backends as Record<string, { maxConnections?: number; pool?: { queue?: number } }>;
    expect(backends.b1).toMatchObject({ maxConnections: 5, pool: { queue: 2 } });
    expect(backends.b2).toMatchObject({ maxConnections: 50, pool: { queue: 20 } });
  });

  it("request timeout: route r's on m1's rule, the Gateway's 30s on m2's — the longest is the profile's", () => {
    const r = imported(
      docs(
        TWO_ROUTES,
        trafficOn('Gateway', 'gw', 'timeout: {http: {requestTimeout: 30s}}'),
        trafficOn('HTTPRoute', 'r', 'timeout: {http: {requestTimeout: 10s}}'),
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.profile.timeouts).toMatchObject({ firstByte: '30s' });
    expect(r.said).toMatch(/rules differ in timeouts/);
  });

  it('retries: the route without any is said beside the attempts imported', () => {
    const r = imported(
      docs(
        TWO_ROUTES,
        trafficOn('Gateway', 'gw', 'retry: {numRetries: 5}'),
        trafficOn('HTTPRoute', 'r', 'timeout: {tcp: {connectTimeout: 3s}}'),
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.profile.resilience).toMatchObject({ attempts: 6 });
    expect(r.said).toMatch(/btp-gw.*applies to some routes only \(no retry on route r\)/);
  });
});

describe('passive health checks that differ by route', () => {
  it("the Gateway's on r2, route r's own without one: said beside the check imported", () => {
    const r = imported(
      docs(
        TWO_ROUTES,
        trafficOn('Gateway', 'gw', 'healthCheck: {passive: {consecutive5XxErrors: 2, baseEjectionTime: 10s}}'),
        trafficOn('HTTPRoute', 'r', 'timeout: {tcp: {connectTimeout: 3s}}'),
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.profile.resilience).toMatchObject({ consecutiveFailures: 2, cooldown: '10s' });
    expect(r.said).toMatch(/btp-gw.*applies to some routes only \(no passive check \(never ejected\) on route r\)/);
  });

  it('one check on every route: nothing said (the control)', () => {
    const r = imported(docs(TWO_ROUTES, trafficOn('Gateway', 'gw', 'healthCheck: {passive: {consecutive5XxErrors: 2}}')));
    expect(r.problems).toEqual([]);
    expect(r.said).not.toMatch(/applies to some routes only/);
  });
});
