/**
 * An AIServiceBackend whose backendRef is not an Envoy Gateway Backend: the v1.1.0 CRD refuses it (its CEL rule:
 * "BackendRef must be a Backend resource of Envoy Gateway" — a Service "will be supported in the future"), and a ref
 * that names no kind is a Service by the CRD's default. `kubectl apply` refuses such a backend, and the models routed to
 * it reach nothing in the cluster. The import read a Service ref as `http://NAME.NS.svc.cluster.local`, and a ref
 * without kind as the Backend of that name: aigw served models the cluster cannot. Such a backend is skipped now, said,
 * and the routes' references to it are dropped as for any backend not imported.
 */
import { describe, expect, it } from 'vitest';
import { BASE, backend, docs, imported, ROUTE } from './manifests.js';

const withRef = (ref: string) =>
  backend('b1').replace('backendRef: {name: b1, kind: Backend, group: gateway.envoyproxy.io}', `backendRef: ${ref}`);
const twoModels = (b1: string) =>
  docs(
    ROUTE.replace(
      'backendRefs: [{name: b1}]',
      'backendRefs: [{name: b1}]\n    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m2}]}]\n      backendRefs: [{name: b2}]',
    ),
    b1,
    backend('b2'),
  );

describe('an AIServiceBackend whose backendRef the CRD refuses', () => {
  it('a Service: skipped, said; its model is not imported, the other is', () => {
    const r = imported(twoModels(withRef('{name: b1, kind: Service, port: 80}')));
    expect(r.problems).toEqual([]);
    expect(Object.keys(r.profile.backends as object)).toEqual(['b2']);
    expect(Object.keys(r.profile.models as object)).toEqual(['m2']);
    expect(r.said).toMatch(/AIServiceBackend\/default\/b1\.spec\.backendRef: .*"Service".*refused by the cluster/);
    expect(r.skipped.map((s) => `${s.kind} ${s.name}`)).toContain('AIServiceBackend default/b1');
  });

  it('no kind (the CRD defaults it to Service), though a Backend of that name exists: skipped', () => {
    const r = imported(twoModels(withRef('{name: b1}')));
    expect(Object.keys(r.profile.backends as object)).toEqual(['b2']);
    expect(r.said).toMatch(/AIServiceBackend\/default\/b1\.spec\.backendRef: .*refused by the cluster/);
  });

  it('a Backend of Envoy Gateway: read as before', () => {
    const r = imported(BASE);
    expect(r.profile.backends).toEqual({ b1: { url: 'http://b1.example.com:443' } });
    expect(r.said).not.toMatch(/refused by the cluster/);
  });
});
