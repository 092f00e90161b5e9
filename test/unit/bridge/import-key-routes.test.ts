/**
 * An API-key policy on some routes only. Envoy Gateway asks for a key on the HTTPRoutes a SecurityPolicy names; the
 * other routes' models take any request. aigw's tenants apply to every model, so the imported profile answers 401 to
 * a client without a key that the cluster serves — said, naming those models.
 */
import { describe, expect, it } from 'vitest';
import { apiKeys, backend, docs, imported, ROUTE } from './manifests.js';

const R2 = ROUTE.replace('name: r}', 'name: r2}')
  .replace('value: m1}]}]', 'value: m2}]}]')
  .replace('backendRefs: [{name: b1}]', 'backendRefs: [{name: b2}]');

describe('an API-key policy on some routes', () => {
  it("on route r only: route r2's model m2 is open in the cluster, said", () => {
    const r = imported(docs(ROUTE, R2, backend('b1'), backend('b2'), apiKeys({ alice: '${ALICE_KEY}' })));
    expect(r.problems).toEqual([]);
    expect(r.said).toMatch(/SecurityPolicy\/default\/sp\.spec\.apiKeyAuth: .*models m2 take requests without one/);
    expect(r.said).not.toMatch(/models m1/);
  });

  it('on both routes: nothing said', () => {
    const both = apiKeys({ alice: '${ALICE_KEY}' }).replace(
      'targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]',
      'targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}, {group: gateway.networking.k8s.io, kind: HTTPRoute, name: r2}]',
    );
    const r = imported(docs(ROUTE, R2, backend('b1'), backend('b2'), both));
    expect(r.problems).toEqual([]);
    expect(r.said).not.toMatch(/take requests without one/);
  });
});
