/**
 * A profile duration of 0 where Envoy takes none: `timeouts.connect: 0s` (no deadline) and `resilience.cooldown: 0s`
 * (an ejection lasting no time) were exported as `connectTimeout: 0s` and `baseEjectionTime: 0s`. The CRDs' pattern
 * admits them, but Envoy's API refuses both (`duration = {gt {}}` on the cluster's connect_timeout and the outlier
 * detection's base_ejection_time): the cluster Envoy Gateway builds from the policy is rejected, and with it every
 * backend of the routes. Neither is written now, each said.
 */
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { BASE, docs, imported } from './manifests.js';
import { exportProfile } from './profiles.js';

const exportOf = (extra: string): ExportResult =>
  exportProfile(`version: 1
${extra}
backends: { b: { url: http://10.0.0.7:8000 } }
models: { m: { targets: [{ backend: b }] } }
`);

const traffic = (r: ExportResult) => r.objects.find((o) => o.value.kind === 'BackendTrafficPolicy')!.value.spec as Record<string, unknown>;

describe('durations of 0 that Envoy refuses', () => {
  it('timeouts.connect: 0s writes no connectTimeout, said', () => {
    const r = exportOf('timeouts: { connect: 0s }');
    expect(JSON.stringify(traffic(r).timeout ?? {})).not.toMatch(/connectTimeout/);
    expect(r.warnings.join('\n')).toMatch(/^timeouts\.connect: 0s \(no deadline\) cannot be expressed/m);
  });

  it('resilience.cooldown: 0s writes no passive health check, said', () => {
    const r = exportOf('resilience: { cooldown: 0s }');
    expect(traffic(r).healthCheck).toBeUndefined();
    expect(r.warnings.join('\n')).toMatch(/^resilience\.cooldown: 0s ejects a backend for no time/m);
  });

  it('the defaults are written as before', () => {
    const spec = traffic(exportOf(''));
    expect(spec.timeout).toEqual({ tcp: { connectTimeout: '5s' } });
    expect((spec.healthCheck as { passive: { baseEjectionTime: string } }).passive.baseEjectionTime).toBe('5s');
  });
});

describe('the same 0s read from manifests', () => {
  it('connectTimeout 0s and baseEjectionTime 0s: imported as written, each said refused by Envoy', () => {
    const r = imported(
      docs(
        BASE,
        `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: t}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
  timeout: {tcp: {connectTimeout: 0s}}
  healthCheck: {passive: {consecutive5XxErrors: 3, baseEjectionTime: 0s}}
`,
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.said).toMatch(/connectTimeout: a connect timeout of 0 is refused by Envoy/);
    expect(r.said).toMatch(/baseEjectionTime: a base ejection time of 0 is refused by Envoy/);
  });
});
