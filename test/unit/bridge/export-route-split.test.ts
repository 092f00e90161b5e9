/**
 * A profile of more than 15 public models (or fewer with header matches: one rule each) exported as one
 * AIGatewayRoute: its CRD takes at most 15 rules (`spec.rules` maxItems, in v1beta1 and v1alpha1), so `kubectl apply`
 * refused the route and nothing was routed. The rules are spread over several AIGatewayRoutes on the one Gateway, a
 * model's rules kept together (Gateway API breaks ties among equal matches by route first), and the policies that
 * target the generated HTTPRoute name each of them; import(export) routes the same.
 */
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { importEnvoy } from '../../../src/bridge/envoy/import.js';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';
import { crdsAvailable, validateObject } from './crd-validate.js';
import { exportProfile } from './profiles.js';

const ENV = { ACME_KEY: 'sk-acme' };

/** `n` models, m00 … (m03 with two header matches: 3 rules), and a tenant with a token limit on the last. */
function profile(n: number): string {
  const models = Array.from({ length: n }, (_, i) => {
    const name = `m${String(i).padStart(2, '0')}`;
    if (i !== 3) return `  ${name}: { targets: [{ backend: a, model: up-${name} }, { backend: b, weight: 3 }] }`;
    return `  ${name}:
    targets: [{ backend: a }]
    match:
      - { when: { headers: { x-team: red } }, targets: [{ backend: b }] }
      - { when: { headers: { x-team: blue } }, targets: [{ backend: a, weight: 2 }, { backend: b }] }`;
  });
  return `version: 1
backends:
  a: { url: https://api.example.com }
  b: { url: http://10.0.0.7:8000 }
models:
${models.join('\n')}
tenants:
  acme: { keys: ["\${ACME_KEY}"], modelLimits: { m${String(n - 1).padStart(2, '0')}: { tpm: 1000 } } }
`;
}

const exportOf = (yaml: string): ExportResult => exportProfile(yaml, ENV);

const text = (r: ExportResult) => renderStream(r.objects.map((o) => renderDocument(o.value, o.comments, o.header)));
type Obj = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };
const objects = (r: ExportResult): Obj[] => parseAllDocuments(text(r)).map((d) => d.toJS() as Obj);
type Rule = { matches: { headers: { name: string; value: string }[] }[] };
const modelOf = (rule: Rule) => rule.matches[0]!.headers.find((h) => h.name === 'x-ai-eg-model')!.value;

describe('more rules than one AIGatewayRoute holds', () => {
  it.skipIf(!crdsAvailable)('20 models (22 rules): every object validates strictly against its CRD', () => {
    for (const o of objects(exportOf(profile(20)))) expect(validateObject(o), `${o.kind}/${o.metadata.name}`).toEqual({ ok: true });
  });

  it('the rules are spread over routes of at most 15, each model in one route, every route named by the policies', () => {
    const objs = objects(exportOf(profile(20)));
    const routes = objs.filter((o) => o.kind === 'AIGatewayRoute');
    expect(routes.length).toBeGreaterThan(1);
    const rules = routes.map((r) => r.spec.rules as Rule[]);
    for (const rs of rules) expect(rs.length).toBeLessThanOrEqual(15);
    expect(rules.flat()).toHaveLength(22);
    // A model's rules (m03: its two header matches and its default) are in one route.
    const home = new Map<string, Set<string>>();
    routes.forEach((r, i) => {
      for (const rule of rules[i]!) home.set(modelOf(rule), (home.get(modelOf(rule)) ?? new Set()).add(r.metadata.name));
    });
    expect(home.size).toBe(20);
    for (const [, at] of home) expect(at.size).toBe(1);
    expect(new Set(routes.map((r) => r.metadata.name)).size).toBe(routes.length);
    expect(routes[0]!.metadata.name).toBe('aigw');
    // Each policy on the generated HTTPRoute reaches every route: the rate limits and the API keys too.
    for (const kind of ['BackendTrafficPolicy', 'SecurityPolicy']) {
      const p = objs.find((o) => o.kind === kind)!;
      const refs = (p.spec.targetRefs as { kind: string; name: string }[]).filter((t) => t.kind === 'HTTPRoute').map((t) => t.name);
      expect(refs, kind).toEqual(routes.map((r) => r.metadata.name));
    }
  });

  it('15 rules stay one route named after the Gateway', () => {
    const routes = objects(exportOf(profile(13))).filter((o) => o.kind === 'AIGatewayRoute');
    expect(routes.map((r) => [r.metadata.name, (r.spec.rules as Rule[]).length])).toEqual([['aigw', 15]]);
  });

  it('import(export) routes the same: every model, its targets, header matches and the tenant limit', () => {
    const yaml = profile(20);
    const before = parseProfile(yaml, 'test.yaml', ENV);
    if (!before.ok) throw new Error('profile');
    const back = importEnvoy([{ file: 'export.yaml', text: text(exportOf(yaml)) }]);
    expect(back.problems.map(formatProblem)).toEqual([]);
    const again = parseProfile(renderDocument(back.profile), 'back.yaml', { ...ENV, B_APIKEY: 'x', A_APIKEY: 'x' });
    expect(again.ok, again.ok ? '' : again.problems.map(formatProblem).join('\n')).toBe(true);
    if (!again.ok) return;
    const shape = (p: typeof again.profile) =>
      Object.fromEntries(
        Object.entries(p.models).map(([n, m]) => [
          n,
          {
            targets: m.targets.map((t) => `${t.backend} ${t.model ?? n} ${t.weight}`),
            match: (m.match ?? []).map((x) => ({ when: x.when, targets: x.targets.map((t) => `${t.backend} ${t.weight}`) })),
          },
        ]),
      );
    expect(shape(again.profile)).toEqual(shape(before.profile));
    expect(again.profile.tenants?.acme?.modelLimits).toEqual({ m19: { tpm: 1000 } });
  });
});
