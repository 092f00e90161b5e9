/**
 * What the cluster checks of a backend's certificate, read in silence: the import took any BackendTLSPolicy (or a
 * Backend's own tls) as "https", whatever it said. aigw connects to the URL's host and verifies it against the system
 * CAs by that name — so a policy trusting its own CA, or verifying `api.internal` for an endpoint given by IP, imported
 * as a backend every request to which fails in aigw while the cluster serves it; a Backend with insecureSkipVerify
 * likewise. Now each is said, at its key; a policy naming the endpoint's own host (every official example) is not.
 */
import { describe, expect, it } from 'vitest';
import { docs, imported, ROUTE, serviceBackend } from './manifests.js';

const route = docs(ROUTE, serviceBackend('b1'));

const backend = (endpoint: string, tls = '') => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: b1}
spec:
  endpoints: [${endpoint}]
${tls}`;

const policy = (validation: string) => `apiVersion: gateway.networking.k8s.io/v1alpha3
kind: BackendTLSPolicy
metadata: {name: b1-tls}
spec:
  targetRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: b1}]
  validation: ${validation}`;

describe('a backend certificate the cluster checks otherwise than aigw', () => {
  it('an endpoint by IP verified as another name, by a CA of its own: both said', () => {
    const r = imported(
      docs(
        route,
        backend('{ip: {address: 10.0.0.7, port: 443}}'),
        policy('{hostname: api.internal, caCertificateRefs: [{group: "", kind: ConfigMap, name: ca}]}'),
      ),
    );
    expect(r.problems).toEqual([]);
    expect((r.profile.backends as Record<string, { url: string }>).b1!.url).toBe('https://10.0.0.7:443');
    expect(r.said).toMatch(/validation\.hostname.*the cluster sends SNI "api\.internal".*aigw connects to "10\.0\.0\.7"/);
    expect(r.said).toMatch(/validation\.caCertificateRefs.*the cluster trusts the CA named here/);
  });

  it('a Backend that skips verification: said', () => {
    const r = imported(docs(route, backend('{fqdn: {hostname: llm.local, port: 8443}}', '  tls: {insecureSkipVerify: true}')));
    expect(r.said).toMatch(/tls\.insecureSkipVerify.*the cluster does not verify this backend's certificate/);
  });

  it('a policy naming the endpoint’s own host with the system CAs: nothing said', () => {
    const r = imported(
      docs(
        route,
        backend('{fqdn: {hostname: api.openai.com, port: 443}}'),
        policy('{hostname: api.openai.com, wellKnownCACertificates: System}'),
      ),
    );
    expect(r.said).not.toMatch(/SNI|trusts the CA|does not verify/);
  });
});
