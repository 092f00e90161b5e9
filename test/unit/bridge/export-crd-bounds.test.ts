/**
 * What a profile allows and the CRDs do not, exported: the object validated by nobody until `kubectl apply` refused it
 * whole. 130 tenants with a tpm and an rpm are 260 rate-limit rules, past a BackendTrafficPolicy's 256 — refused, the
 * cluster had no limit for anyone, and no retries or ejection either. A backend header set to "" (the profile takes it)
 * is a headerMutation value under the CRD's one character — the AIServiceBackend refused, its model routed nowhere. A
 * match on an empty header value likewise refused the AIGatewayRoute, every model with it. Each is left out now, said.
 */
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { crdsAvailable, validateObject } from './crd-validate.js';
import { exportProfile } from './profiles.js';

type Obj = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };
const objects = (r: ExportResult): Obj[] =>
  parseAllDocuments(renderStream(r.objects.map((o) => renderDocument(o.value, o.comments, o.header)))).map((d) => d.toJS() as Obj);

function expectValid(r: ExportResult): void {
  for (const o of objects(r)) {
    const v = validateObject(o);
    expect(v, `${o.kind}/${o.metadata.name}: ${JSON.stringify(v)}`).toEqual({ ok: true });
  }
}

const tenants = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `  t${String(i).padStart(3, '0')}: { keys: [key-${i}-xxxxxxxx], limits: { tpm: 1000, rpm: 10 } }`,
  ).join('\n');

const PROFILE = `version: 1
backends: { b: { url: http://10.0.0.7:8000 } }
models: { m: { targets: [{ backend: b }] } }
`;

describe('rate-limit rules past what a BackendTrafficPolicy holds', () => {
  const r = () => exportProfile(`${PROFILE}tenants:\n${tenants(130)}\n`);
  const rules = (x: ExportResult) =>
    (objects(x).find((o) => o.kind === 'BackendTrafficPolicy')!.spec.rateLimit as { global: { rules: unknown[] } }).global.rules;

  it('130 tenants with tpm and rpm: 128 tenants whole (256 rules), the other two named', () => {
    const out = r();
    expect(rules(out)).toHaveLength(256);
    expect(out.warnings.join('\n')).toMatch(
      /^tenants\.\*\.limits: a BackendTrafficPolicy holds at most 256 rate-limit rules: the limits of 2 tenants \(t128, t129\) are not exported/m,
    );
  });

  it.skipIf(!crdsAvailable)('and every object validates against its CRD', () => expectValid(r()));

  it('128 tenants: every rule, nothing said', () => {
    const out = exportProfile(`${PROFILE}tenants:\n${tenants(128)}\n`);
    expect(rules(out)).toHaveLength(256);
    expect(out.warnings.join('\n')).not.toMatch(/at most 256/);
  });
});

describe('empty header values', () => {
  it.skipIf(!crdsAvailable)('a backend header set to "": left out of headerMutation, said; the backend validates', () => {
    const out = exportProfile(`version: 1
backends: { b: { url: http://10.0.0.7:8000, headers: { x-empty: "", x-team: red } } }
models: { m: { targets: [{ backend: b }] } }
`);
    const asb = objects(out).find((o) => o.kind === 'AIServiceBackend')!;
    expect(asb.spec.headerMutation).toEqual({ set: [{ name: 'x-team', value: 'red' }] });
    expect(out.warnings.join('\n')).toMatch(/^backends\.b\.headers\.x-empty: an empty value cannot be set/m);
    expectValid(out);
  });

  it.skipIf(!crdsAvailable)('a match on an empty header: not exported, said; the route validates with the other models', () => {
    const out = exportProfile(`version: 1
backends: { b: { url: http://10.0.0.7:8000 }, c: { url: http://10.0.0.8:8000 } }
models:
  m:
    targets: [{ backend: b }]
    match: [{ when: { headers: { x-tier: "" } }, targets: [{ backend: c }] }, { when: { headers: { x-tier: gold } }, targets: [{ backend: c }] }]
  n: { targets: [{ backend: c }] }
`);
    const rules = objects(out).find((o) => o.kind === 'AIGatewayRoute')!.spec.rules as { matches: { headers: { value: string }[] }[] }[];
    expect(rules.map((x) => x.matches[0]!.headers.map((h) => h.value).join(' '))).toEqual(['m gold', 'm', 'n']);
    expect(out.warnings.join('\n')).toMatch(/^models\.m\.match\[0\]: the match on an empty x-tier cannot be expressed/m);
    expectValid(out);
  });
});
