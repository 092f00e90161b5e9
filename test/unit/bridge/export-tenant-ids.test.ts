/**
 * Tenants whose names read as one client id (`team-a` and `team:a`: a Secret key holds letters, digits, -, _ and .
 * only) or one placeholder variable (`team.a` and `team-a`): each must keep a key of its own in the exported Secret
 * and rate-limit rules of its own. The second tenant's key replaced the first's without a word — that tenant's
 * clients were refused by the cluster and both tenants' limits keyed on the one id.
 */
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { exportProfile } from './profiles.js';

const profile = (tenants: string) => `version: 1
backends: { b: { url: http://10.0.0.7:8000 } }
models: { m: { targets: [{ backend: b }] } }
tenants:
${tenants}`;

const secretKeys = (r: ExportResult) =>
  r.objects.find((o) => o.value.kind === 'Secret' && (o.value.metadata as { name: string }).name === 'aigw-tenant-keys')!.value
    .stringData as Record<string, string>;

const ruleIds = (r: ExportResult): string[] => {
  const btp = r.objects.find((o) => o.value.kind === 'BackendTrafficPolicy')!.value as {
    spec: { rateLimit: { global: { rules: { clientSelectors: { headers: { value: string }[] }[]; limit: { requests: number } }[] } } };
  };
  return btp.spec.rateLimit.global.rules.map((rule) => `${rule.clientSelectors[0]!.headers[0]!.value}=${rule.limit.requests}`);
};

describe('tenants that read as one client id', () => {
  it('team-a and team:a: two client ids, two keys, each its own limit, said', () => {
    const r = exportProfile(
      profile('  team-a: { keys: ["${A_KEY}"], limits: { rpm: 10 } }\n  "team:a": { keys: ["${B_KEY}"], limits: { rpm: 1000 } }\n'),
      { A_KEY: 'ka', B_KEY: 'kb' },
    );
    expect(secretKeys(r)).toEqual({ 'team-a': '${A_KEY}', 'team-a-2': '${B_KEY}' });
    expect(ruleIds(r)).toEqual(['team-a=10', 'team-a-2=1000']);
    expect(r.warnings.join('\n')).toMatch(/tenants.team:a: exported as client id team-a-2/);
  });

  it('team.a and team-a with literal keys: two placeholder variables, not one for both', () => {
    const r = exportProfile(profile('  team.a: { keys: [literal-key-one] }\n  team-a: { keys: [literal-key-two] }\n'));
    const keys = secretKeys(r);
    expect(Object.keys(keys)).toEqual(['team.a', 'team-a']);
    expect(new Set(Object.values(keys)).size).toBe(2);
  });
});
