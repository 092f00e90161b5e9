/**
 * A tenant's limits are one bucket in aigw, whatever model a request names. Envoy Gateway counts a global rate-limit
 * rule per route it generates unless the rule is `shared: true` (its xDS translator prefixes each rule's descriptor
 * with the route's name: one route per AIGatewayRoute rule, so per model and per header match) — the export wrote no
 * `shared`, and a tenant's 1,000 tpm over three models was 3,000 in the cluster, a model limit one per header match.
 */
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { crdsAvailable, validateObject } from './crd-validate.js';
import { exportProfile } from './profiles.js';

const exportOf = (yaml: string): ExportResult => exportProfile(yaml, { ACME_KEY: 'sk-acme' });

const PROFILE = `version: 1
backends: { b: { url: http://10.0.0.7:8000 } }
models:
  m1: { targets: [{ backend: b }] }
  m2: { targets: [{ backend: b }], match: [{ when: { headers: { x-tier: gold } }, targets: [{ backend: b, model: big }] }] }
  m3: { targets: [{ backend: b }] }
tenants:
  acme: { keys: ["\${ACME_KEY}"], limits: { tpm: 1000, rpm: 60 }, modelLimits: { m2: { rpm: 10 } } }
`;

type Btp = { spec: { rateLimit: { global: { rules: Record<string, unknown>[] } } } };
const btpOf = (r: ExportResult) => r.objects.find((o) => o.value.kind === 'BackendTrafficPolicy')!.value;

describe('exported tenant limits count in one bucket across the routes', () => {
  it('every rule is shared: the tenant-wide ones and the per-model one', () => {
    const r = exportOf(PROFILE);
    // m1, m2 (its match and its own) and m3: four rules, four routes in Envoy, one bucket each without `shared`.
    const route = r.objects.find((o) => o.value.kind === 'AIGatewayRoute')!.value as { spec: { rules: unknown[] } };
    expect(route.spec.rules).toHaveLength(4);
    const rules = (btpOf(r) as unknown as Btp).spec.rateLimit.global.rules;
    expect(rules).toHaveLength(3);
    for (const rule of rules) expect(rule.shared).toBe(true);
  });

  it.skipIf(!crdsAvailable)('the BackendTrafficPolicy validates against its CRD', () => {
    const v = validateObject(btpOf(exportOf(PROFILE)));
    expect(v, JSON.stringify(v)).toEqual({ ok: true });
  });
});
