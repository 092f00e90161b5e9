/**
 * A policy on the route replaces one on its Gateway: Envoy Gateway applies only the most specific SecurityPolicy or
 * BackendTrafficPolicy of a route unless the route's sets mergeType (the CRDs: "If unset, no merging occurs, and only
 * the most specific configuration takes effect"). The import merged both: the Gateway's API keys were imported as
 * tenants the cluster refuses on that route, and the Gateway's retries replaced the route's own.
 */
import { describe, expect, it } from 'vitest';
import { apiKeys, BASE, docs, imported } from './manifests.js';

const GW = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec: {gatewayClassName: eg, listeners: [{name: http, protocol: HTTP, port: 80}]}`;

/** A SecurityPolicy on Gateway gw asking for the keys of Secret gw-keys (client `everyone`). */
const GATEWAY_KEYS = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: gw-auth}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
  apiKeyAuth:
    credentialRefs: [{name: gw-keys}]
    extractFrom: [{headers: [x-api-key]}]
---
apiVersion: v1
kind: Secret
metadata: {name: gw-keys}
stringData: {everyone: "\${EVERYONE_KEY}"}`;

const retryOn = (kind: 'Gateway' | 'HTTPRoute', name: string, retries: number, more = '') => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: btp-${name}}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: ${kind}, name: ${name}}]
  retry: {numRetries: ${retries}}
${more}`;

describe("a route's own policy replaces its Gateway's", () => {
  it("the route's apiKeyAuth: the Gateway's clients are not tenants (the cluster refuses their keys on this route)", () => {
    const r = imported(docs(BASE, GW, GATEWAY_KEYS, apiKeys({ carol: '${CAROL_KEY}' })));
    expect(r.problems).toEqual([]);
    expect(Object.keys(r.profile.tenants as object)).toEqual(['carol']);
    expect(r.said).toMatch(/SecurityPolicy\/default\/gw-auth.*the route's own SecurityPolicy .*applies instead/);
  });

  it("the route's retry: its attempts, not the Gateway's", () => {
    const r = imported(docs(BASE, GW, retryOn('Gateway', 'gw', 5), retryOn('HTTPRoute', 'r', 1)));
    expect(r.problems).toEqual([]);
    expect(r.profile.resilience).toMatchObject({ attempts: 2 });
  });

  it('a route policy without retry: the cluster retries nothing, whatever the Gateway says', () => {
    const r = imported(
      docs(
        BASE,
        GW,
        retryOn('Gateway', 'gw', 5),
        retryOn('HTTPRoute', 'r', 1).replace('  retry: {numRetries: 1}\n', '  timeout: {tcp: {connectTimeout: 3s}}\n'),
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.profile.resilience).toMatchObject({ attempts: 1 });
    expect(r.profile.timeouts).toMatchObject({ connect: '3s' });
  });

  it('no route policy: the Gateway one applies, as before', () => {
    const r = imported(docs(BASE, GW, GATEWAY_KEYS, retryOn('Gateway', 'gw', 5)));
    expect(r.problems).toEqual([]);
    expect(Object.keys(r.profile.tenants as object)).toEqual(['everyone']);
    expect(r.profile.resilience).toMatchObject({ attempts: 6 });
  });
});
