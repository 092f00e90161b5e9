/**
 * AIGatewayRoute rules → models on import: priorities become fallbacks without cycles and under free names,
 * backendRef fields the CRD would refuse are warnings that say what was read, and the import of many rules
 * stays linear.
 */
import { describe, expect, it } from 'vitest';
import { BASE, backend, docs, imported } from './manifests.js';

const route = (...rules: string[]) =>
  `apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata: {name: r}\nspec:\n  parentRefs: [{name: gw}]\n  rules:\n${rules.join('\n')}\n`;
const ruleFor = (model: string, refs: string) =>
  `    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: ${JSON.stringify(model)}}]}]\n      backendRefs: [${refs}]`;
type Models = Record<string, { targets: Record<string, unknown>[]; fallbacks?: string[] }>;

describe('priorities as fallbacks', () => {
  it('mutual failover between two models imports: the second gets its own fallback instead of closing a cycle', () => {
    const r = imported(
      docs(
        route(
          ruleFor('gpt', '{name: openai, priority: 0}, {name: azure, priority: 1}'),
          ruleFor('gpt-azure', '{name: azure, priority: 0, modelNameOverride: gpt}, {name: openai, priority: 1, modelNameOverride: gpt}'),
        ),
        backend('openai'),
        backend('azure'),
      ),
    );
    expect(r.problems).toEqual([]);
    const models = r.profile.models as Models;
    expect(models.gpt!.fallbacks).toEqual(['gpt-azure']);
    expect(models['gpt-azure']!.fallbacks).toEqual(['gpt-azure:priority-1']);
    expect(models['gpt-azure:priority-1']!.targets).toEqual([{ backend: 'openai', model: 'gpt', weight: 1 }]);
  });

  it('a generated fallback never takes the name of a real model', () => {
    const r = imported(
      docs(
        route(ruleFor('gpt:priority-1', '{name: b3}'), ruleFor('gpt', '{name: b1, priority: 0}, {name: b2, priority: 1}')),
        backend('b1'),
        backend('b2'),
        backend('b3'),
      ),
    );
    const models = r.profile.models as Models;
    expect(models['gpt:priority-1']!.targets).toEqual([{ backend: 'b3', weight: 1 }]);
    expect(models.gpt!.fallbacks).toEqual(['gpt:priority-1-2']);
    expect(models['gpt:priority-1-2']!.targets).toEqual([{ backend: 'b2', model: 'gpt', weight: 1 }]);
  });
});

describe('backendRef fields the CRD refuses', () => {
  it.each([
    ['weight: "90"', 'weight', 'read as 90', { backend: 'b1', weight: 90 }],
    ['weight: "heavy"', 'weight', 'read as 1, the default', { backend: 'b1', weight: 1 }],
    ['weight: 2.5', 'weight', 'read as 1, the default', { backend: 'b1', weight: 1 }],
  ])('%s: a warning saying what was read', (field, key, said, target) => {
    const r = imported(BASE.replace('backendRefs: [{name: b1}]', `backendRefs: [{name: b1, ${field}}]`));
    expect(r.said).toMatch(new RegExp(`backendRefs\\[0\\].${key}: .* is not a whole number ≥ 0 .*: ${said}`));
    expect((r.profile.models as Models).m1!.targets).toEqual([target]);
  });

  it('priority: "1" is read as priority 1 (a fallback), with a warning', () => {
    const r = imported(
      docs(BASE.replace('backendRefs: [{name: b1}]', 'backendRefs: [{name: b1}, {name: b2, priority: "1"}]'), backend('b2')),
    );
    expect(r.said).toMatch(/backendRefs\[1\].priority: "1" is not a whole number ≥ 0 .*: read as 1$/m);
    expect((r.profile.models as Models).m1!.fallbacks).toEqual(['m1:priority-1']);
  });
});

describe('many rules', () => {
  // Timed outside the suite (the closing notes): 2000 rules took 21 s through the CLI with the quadratic
  // unread-key report, then 3.4 s (4000: 8.1 s) with a scan per lookup, 2.7 s (4000: 5.7 s) with the manifests
  // indexed — the rest is the YAML parser's ~1 MB/s; a few seconds apart is not what a timed test may separate.
  it('2000 rules, each with its own backend, all import', () => {
    const n = 2000;
    const rules = Array.from({ length: n }, (_, i) => ruleFor(`m${i}`, `{name: b${i}}`));
    const text = docs(route(...rules), ...Array.from({ length: n }, (_, i) => backend(`b${i}`)));
    const r = imported(text);
    expect(Object.keys(r.profile.models as object)).toHaveLength(n);
  });
});

describe('a header match on a name no request can carry', () => {
  it('is a warning and not imported (it became a rule that never matched, then a profile the gateway refuses)', () => {
    const rule = (name: string) =>
      `    - matches: [{headers: [{name: x-ai-eg-model, value: m}, {name: ${JSON.stringify(name)}, value: "1"}]}]\n      backendRefs: [{name: b2}]`;
    const r = imported(docs(route(ruleFor('m', '{name: b1}'), rule('x canary')), backend('b1'), backend('b2')));
    expect(r.problems).toEqual([]);
    expect(r.said).toMatch(/headers\[1\]: "x canary" is not a header name: this match is not imported/);
    expect((r.profile.models as Record<string, { match?: unknown }>).m!.match).toBeUndefined();
    // A real name still imports as a match rule.
    const ok = imported(docs(route(ruleFor('m', '{name: b1}'), rule('X-Canary')), backend('b1'), backend('b2')));
    expect((ok.profile.models as Record<string, { match?: unknown }>).m!.match).toEqual([
      { when: { headers: { 'x-canary': '1' } }, targets: [{ backend: 'b2', weight: 1 }] },
    ]);
  });
});
