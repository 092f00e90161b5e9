/**
 * A BackendTrafficPolicy's passive health check takes the CRD's defaults for what it leaves out — 5 consecutive 5xx
 * errors, a 30s base ejection — but the import read only the fields written and left the rest at aigw's (3, 5s):
 * `passive: {}` imported as ejecting a backend after 3 errors for 5s, where the cluster waits for 5 and keeps it out
 * for 30s. And a cluster with no passive check never ejects, which aigw always does: said.
 */
import { describe, expect, it } from 'vitest';
import { BASE, docs, imported } from './manifests.js';

const btp = (healthCheck: string) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: t}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
  retry: {numRetries: 2}
${healthCheck}`;

type Resilience = { consecutiveFailures?: number; cooldown?: string };

describe('a passive health check as the cluster applies it', () => {
  it('passive: {} is 5 errors and 30s, the CRD defaults', () => {
    const r = imported(docs(BASE, btp('  healthCheck: {passive: {}}')));
    expect(r.problems).toEqual([]);
    expect(r.profile.resilience as Resilience).toMatchObject({ consecutiveFailures: 5, cooldown: '30s' });
    expect(r.said).not.toMatch(/never ejects/);
  });

  it('a check giving one field takes the other’s default', () => {
    const r = imported(docs(BASE, btp('  healthCheck: {passive: {baseEjectionTime: 10s}}')));
    expect(r.profile.resilience as Resilience).toMatchObject({ consecutiveFailures: 5, cooldown: '10s' });
    const r2 = imported(docs(BASE, btp('  healthCheck: {passive: {consecutive5XxErrors: 2}}')));
    expect(r2.profile.resilience as Resilience).toMatchObject({ consecutiveFailures: 2, cooldown: '30s' });
  });

  it('no passive check: said that the cluster never ejects', () => {
    const r = imported(docs(BASE, btp('')));
    expect(r.said).toMatch(/no BackendTrafficPolicy passive health check: the cluster never ejects a failing backend/);
  });
});
