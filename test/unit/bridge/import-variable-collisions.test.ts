/**
 * Client ids that read as one variable name (`a-b`, `a.b`, `a_b`, `a-.b`, … all `TENANT_A_B_KEY`) each get their own
 * variable in time that does not grow with how many came before: each id counted its suffix up from `_2` past every
 * one taken, so a Secret of 6,561 such ids took the import 4.1 s (0.7 s now), 10,000 names of one variable 19 s, quadratic — `aigw import envoy`, and
 * `serve -c MANIFESTS` at a start and each reload.
 */
import { describe, expect, it } from 'vitest';
import { ImportContext } from '../../../src/bridge/envoy/import-context.js';
import { BASE, docs, imported } from './manifests.js';

const SP = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: sp}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
  apiKeyAuth:
    credentialRefs: [{group: "", kind: Secret, name: keys}]
    extractFrom: [{headers: [authorization]}]`;

/** `a`, every string of `length` characters of `-`, `.`, `_`, then `b`. */
function ids(length: number): string[] {
  let out = [''];
  for (let i = 0; i < length; i++) out = out.flatMap((p) => ['-', '.', '_'].map((c) => p + c));
  return out.map((p) => `a${p}b`);
}

describe('client ids of one variable name', () => {
  it('each get their own variable, at once', () => {
    const all = ids(8);
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: keys}\nstringData:\n${all.map((id, i) => `  "${id}": k${i}`).join('\n')}`;
    const r = imported(docs(BASE, SP, secret));
    expect(r.problems).toEqual([]);
    const keys = Object.values((r.profile as { tenants: Record<string, { keys: string[] }> }).tenants).map((t) => t.keys[0]);
    expect(new Set(keys).size).toBe(all.length);
    expect(keys.slice(0, 3)).toEqual(['${TENANT_A_B_KEY}', '${TENANT_A_B_KEY_2}', '${TENANT_A_B_KEY_3}']);
  });

  it('10,000 credentials wanting one variable are named in linear time (~19 s before)', () => {
    const ctx = new ImportContext([]);
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) ctx.variableFor(['Secret', 'ns', 'keys', String(i)], 'TENANT_A_B_KEY');
    const ms = performance.now() - started;
    expect(ctx.variableFor(['Secret', 'ns', 'keys', '9999'], 'TENANT_A_B_KEY')).toBe('TENANT_A_B_KEY_10000');
    expect(ctx.variableFor(['Secret', 'ns', 'other', '0'], 'TENANT_A_B_KEY_3')).toBe('TENANT_A_B_KEY_3_2');
    expect(ms).toBeLessThan(2000);
  });
});
