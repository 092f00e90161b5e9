/**
 * What aigw keeps once for every model, Envoy keeps per route or per listener (attacker review, trust 84): the connect
 * timeout (a BackendTrafficPolicy's, for its routes' backends), the request buffer (a BackendTrafficPolicy's
 * requestBuffer.limit, per route) and the connection buffer (a ClientTrafficPolicy's bufferLimit, per listener by
 * sectionName). Where they differ the import took one in silence: route r's 3s connect timeout became every backend's
 * (route r2 waits Envoy Gateway's 10s), route r's 1Mi request buffer every model's (r2's clients' 2Mi bodies got 413
 * from aigw only), a Gateway's first ClientTrafficPolicy's buffer the profile's. Now each is said where it was taken,
 * with what the other routes do, as the retries and passive checks already were.
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

/** A BackendTrafficPolicy on `kind`/`name` with `spec` (YAML flow mapping entries). */
const trafficOn = (kind: string, name: string, spec: string) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: btp-${name}}
spec: {targetRefs: [{group: gateway.networking.k8s.io, kind: ${kind}, name: ${name}}], ${spec}}`;

/** A ClientTrafficPolicy named `name` on Gateway gw (or one of its listeners) with this bufferLimit. */
const bufferOn = (name: string, limit: string, section?: string) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: {name: ${name}}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw${section ? `, sectionName: ${section}` : ''}}]
  connection: {bufferLimit: ${limit}}`;

describe('a connect timeout set on some routes', () => {
  it("one route's 3s, the other Envoy Gateway's 10s: the 3s imported, said with the other route's", () => {
    const r = imported(docs(TWO_ROUTES, trafficOn('HTTPRoute', 'r', 'timeout: {tcp: {connectTimeout: 3s}}')));
    expect(r.problems).toEqual([]);
    expect(r.profile.timeouts).toMatchObject({ connect: '3s' });
    expect(r.said).toMatch(
      /btp-r\.spec\.timeout\.tcp\.connectTimeout.*applies to some routes only \(Envoy Gateway's default connect timeout of 10s on route r2\).*one timeouts\.connect/,
    );
  });

  it('two routes, two timeouts: the last imported, the other said', () => {
    const r = imported(
      docs(
        TWO_ROUTES,
        trafficOn('HTTPRoute', 'r', 'timeout: {tcp: {connectTimeout: 3s}}'),
        trafficOn('HTTPRoute', 'r2', 'timeout: {tcp: {connectTimeout: 20s}}'),
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.profile.timeouts).toMatchObject({ connect: '20s' });
    expect(r.said).toMatch(/btp-r2.*applies to some routes only \(a connect timeout of 3s on route r\)/);
  });

  it("the Gateway's on every route: nothing said (the control)", () => {
    const r = imported(docs(TWO_ROUTES, trafficOn('Gateway', 'gw', 'timeout: {tcp: {connectTimeout: 3s}}')));
    expect(r.problems).toEqual([]);
    expect(r.profile.timeouts).toMatchObject({ connect: '3s' });
    expect(r.said).not.toMatch(/applies to some routes only/);
  });
});

describe('a request buffer set on some routes', () => {
  it("route r's 1Mi, route r2 up to the Gateway's 50Mi: the 1Mi imported, said with r2's", () => {
    const r = imported(docs(TWO_ROUTES, bufferOn('ctp', '50Mi'), trafficOn('HTTPRoute', 'r', 'requestBuffer: {limit: 1Mi}')));
    expect(r.problems).toEqual([]);
    expect(r.profile.limits).toMatchObject({ maxRequestBytes: '1Mi' });
    expect(r.said).toMatch(
      /btp-r\.spec\.requestBuffer\.limit.*applies to some routes only \(no request buffer \(bodies up to the Gateway's 50Mi\) on route r2\).*one limits\.maxRequestBytes/,
    );
  });

  it('the same limit on both routes: nothing said (the control)', () => {
    const r = imported(
      docs(
        TWO_ROUTES,
        bufferOn('ctp', '50Mi'),
        trafficOn('HTTPRoute', 'r', 'requestBuffer: {limit: 1Mi}'),
        trafficOn('HTTPRoute', 'r2', 'requestBuffer: {limit: 1Mi}'),
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.profile.limits).toMatchObject({ maxRequestBytes: '1Mi' });
    expect(r.said).not.toMatch(/applies to some routes only/);
  });
});

describe("a Gateway's ClientTrafficPolicies with different buffer limits", () => {
  it("a listener's own: said at it, the first one's imported", () => {
    const r = imported(docs(TWO_ROUTES, bufferOn('ctp', '50Mi'), bufferOn('ctp-http', '1Mi', 'http')));
    expect(r.problems).toEqual([]);
    expect(r.profile.limits).toMatchObject({ responseBuffer: { maxBytes: '50Mi' } });
    expect(r.said).toMatch(
      /ClientTrafficPolicy\/default\/ctp-http\.spec\.connection\.bufferLimit.*different buffer limits.*takes ClientTrafficPolicy\/default\/ctp's/,
    );
  });
});
