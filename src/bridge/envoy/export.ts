/**
 * `aigw export envoy`: a profile → the Envoy AI Gateway / Envoy Gateway / Gateway API objects an operator
 * applies with kubectl, in a fixed order, plus a warning for every profile feature the cluster cannot express.
 */
import type { Profile } from '../../profile/schema.js';
import { backendObjects } from './export-backends.js';
import { ExportContext, type ExportOptions, type K8sObject } from './export-context.js';
import { gatewayObjects } from './export-gateway.js';
import { routeObjects } from './export-route.js';
import { tenantObjects } from './export-tenants.js';
import { trafficObject } from './export-traffic.js';

export type { ExportOptions, K8sObject } from './export-context.js';

export interface ExportResult {
  objects: K8sObject[];
  /** `key.path: what the cluster does instead`, one per feature that does not carry over. */
  warnings: string[];
}

export const DEFAULT_EXPORT: ExportOptions = { namespace: 'default', gateway: 'aigw', includeSecrets: false };

/** `raw` is the profile as written (before `${VAR}` interpolation), so Secrets name their variables. */
export function exportEnvoy(profile: Profile, raw: unknown, opts: ExportOptions = DEFAULT_EXPORT): ExportResult {
  const ctx = new ExportContext(profile, raw, opts);
  const objects = [...gatewayObjects(ctx), ...routeObjects(ctx), trafficObject(ctx), ...tenantObjects(ctx), ...backendObjects(ctx)];
  for (const m of Object.values(profile.backends)) {
    if (m.mock?.faults) {
      ctx.warn('backends.*.mock.faults', 'mock faults stay on this machine: the cluster talks to the real backends');
      break;
    }
  }
  if (profile.observe.tracing) ctx.warn('observe.tracing', "not exported: configure tracing in the EnvoyProxy's telemetry instead");
  if (profile.limits.store) {
    ctx.warn('limits.store', "not exported: the cluster keeps rate-limit counters in Envoy Gateway's own rate limit service");
  }
  ctx.warn(
    'admin',
    "not exported: the cluster's metrics come from Envoy AI Gateway (same gen_ai_* series) and there is no /aigw/stats or event stream",
  );
  return { objects, warnings: ctx.warnings };
}
