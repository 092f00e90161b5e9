/**
 * Names from the manifests become keys of the imported profile. Names every JavaScript object already has
 * (`__proto__`, `constructor`, `toString`, …) are refused with a warning naming them; a `__proto__` key inside
 * a manifest is a key like any other (a field the CRD lacks), never the prototype of what was read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/profile/problems.js';
import { apiKeys, BASE, backend, docs, imported, rateLimits, rule } from './manifests.js';

afterEach(() => {
  // Nothing the import read may have reached every object.
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).url).toBeUndefined();
});

describe('reserved names', () => {
  it('a backend named __proto__ is not imported, said at its name; nothing else changes', () => {
    const r = imported(docs(BASE.replace(/name: b1/g, 'name: __proto__'), backend('b2')));
    expect(r.said).toMatch(
      /x.yaml:\d+:\d+: warning: AIServiceBackend\/default\/__proto__.metadata.name: backend name "__proto__" is reserved/,
    );
    expect(r.skipped.find((s) => s.name === 'default/__proto__' && s.kind === 'AIServiceBackend')?.reason).toMatch(/reserved/);
    expect(Object.keys(r.profile.backends as object)).toEqual(['b2']);
  });

  it.each(['__proto__', 'constructor', 'toString', 'prototype'])('a route for model %s is a warning, not a silent drop', (name) => {
    const r = imported(BASE.replace('value: m1', `value: ${name}`));
    expect(r.said).toMatch(
      new RegExp(`warning: AIGatewayRoute/default/r.spec.rules\\[0\\].matches\\[0\\]: model name "${name}" is reserved`),
    );
    expect(Object.hasOwn(r.profile.models as object, name)).toBe(false);
  });

  it('a client id named constructor refuses the import: dropped, its key would no longer be asked for', () => {
    const cases: Record<string, string>[] = [{ constructor: '${C_KEY}', alice: '${ALICE_KEY}' }, { constructor: '${C_KEY}' }];
    for (const clients of cases) {
      const r = imported(docs(BASE, apiKeys(clients)));
      expect(r.problems.map(formatProblem).join('\n')).toMatch(
        /x.yaml:\d+:\d+: error: Secret\/default\/keys.stringData.constructor: tenant \(client id\) name "constructor" is reserved .*cannot be imported/,
      );
    }
  });

  it('an API-key policy none of whose client ids imports (its Secret is not among the files) refuses the import', () => {
    const policyOnly = apiKeys({ alice: '${ALICE_KEY}' }).split('\n---\n')[0]!;
    const r = imported(docs(BASE, policyOnly));
    expect(r.problems.map(formatProblem).join('\n')).toMatch(
      /error: SecurityPolicy\/default\/sp.spec.apiKeyAuth: the cluster asks every client for an API key, but no client id .* would let anyone in/,
    );
  });

  it('client ids that differ only in punctuation or case each read their own variable', () => {
    const r = imported(docs(BASE, apiKeys({ 'team-a': 'k1', team_a: 'k2', TeamA: 'k3', teama: 'k4' })));
    expect(r.problems).toEqual([]);
    const keys = Object.values(r.profile.tenants as Record<string, { keys: string[] }>).map((t) => t.keys[0]);
    expect(new Set(keys).size).toBe(4);
    expect(keys).toEqual(['${TENANT_TEAM_A_KEY}', '${TENANT_TEAM_A_KEY_2}', '${TENANT_TEAMA_KEY}', '${TENANT_TEAMA_KEY_2}']);
  });

  it('a rate limit on model toString is not mapped: there is no such model', () => {
    const r = imported(docs(BASE, apiKeys({ alice: '${ALICE_KEY}' }), rateLimits(rule('alice', 5, 'Minute', 'toString'))));
    expect(r.said).toMatch(/model toString is not among the imported models: not mapped/);
    expect(r.profile.tenants).toEqual({ alice: { keys: ['${ALICE_KEY}'] } });
  });
});

describe('a __proto__ key inside a manifest', () => {
  it('spec.__proto__ is a field the cluster prunes: nothing under it is imported', () => {
    const text = BASE.replace(
      /spec:\n {2}parentRefs: \[\{name: gw\}\]\n {2}rules:/,
      'spec:\n  __proto__: {rules: [{matches: [{headers: [{name: x-ai-eg-model, value: ghost}]}], backendRefs: [{name: b1}]}]}\n  rules:',
    );
    const r = imported(text);
    expect(r.said).toMatch(/AIGatewayRoute\/default\/r.spec.__proto__: not a field of AIGatewayRoute in its CRD: the cluster prunes it/);
    expect(Object.keys(r.profile.models as object)).toEqual(['m1']);
  });

  it('a header named __proto__ or constructor is a header like any other', () => {
    const text = BASE.replace(
      '  schema: {name: OpenAI}',
      '  schema: {name: OpenAI}\n  headerMutation: {set: [{name: __proto__, value: a}, {name: constructor, value: b}]}',
    );
    const r = imported(text);
    const headers = (r.profile.backends as Record<string, { headers: Record<string, string> }>).b1!.headers;
    expect(Object.entries(headers)).toEqual([
      ['__proto__', 'a'],
      ['constructor', 'b'],
    ]);
  });
});

describe('control characters in names', () => {
  const hostile = 'x\u001b[2J\u001b[31mFAKE\nbase.yaml:1:1: error: injected\u009b';

  it('a skipped object is listed with its name escaped, on one line', () => {
    const r = imported(docs(BASE, `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${JSON.stringify(hostile)}}\n`));
    const s = r.skipped.find((x) => x.kind === 'ConfigMap')!;
    expect(s.name).toBe('default/x\\x1b[2J\\x1b[31mFAKE\\nbase.yaml:1:1: error: injected\\x9b');
  });

  it('a skipped name past what Kubernetes allows (253 characters) is cut before it is escaped, its kind too', () => {
    const long = 'n'.repeat(100_000);
    const r = imported(docs(BASE, `apiVersion: v1\nkind: K${'k'.repeat(100_000)}\nmetadata: {name: ${long}, namespace: ${long}}\n`));
    const s = r.skipped.find((x) => x.kind.startsWith('Kk'))!;
    expect(s.kind).toBe(`K${'k'.repeat(251)}…`);
    expect(s.name).toBe(`${'n'.repeat(252)}…/${'n'.repeat(252)}…`);
    expect(s.reason.length).toBeLessThanOrEqual(1024);
  });

  it('a warning naming the object prints escaped, on one line', () => {
    const r = imported(
      BASE.replace('value: m1', `value: ${JSON.stringify(`m1${hostile}`)}`).replace(
        'metadata: {name: r}',
        `metadata: {name: ${JSON.stringify(hostile)}}`,
      ),
    );
    // Lines are separated by \n; no other control character, and no \n inside a line.
    expect([...r.said].filter((c) => c !== '\n' && /\p{Cc}/u.test(c))).toEqual([]);
    for (const line of r.said.split('\n')) expect(line).toMatch(/^x.yaml:\d+:\d+: (warning|error): /);
    expect(r.said).toContain('AIGatewayRoute/default/x\\x1b[2J');
  });
});

describe('namespaces', () => {
  /** An AIServiceBackend and its Backend named `name` in `ns`, served at `host`. */
  const inNamespace = (name: string, ns: string, host: string) =>
    backend(name)
      .replace(/metadata: \{name: (\S+)\}/g, `metadata: {name: $1, namespace: ${ns}}`)
      .replace(`${name}.example.com`, host);

  it('backends of one name in two namespaces are both imported, each as namespace/name, each from its own Backend', () => {
    const route = BASE.split('\n---\n')[0]!.replace('metadata: {name: r}', 'metadata: {name: r, namespace: team-a}');
    const r = imported(docs(route, inNamespace('b1', 'team-a', 'a.example.com'), inNamespace('b1', 'team-b', 'b.example.com')));
    expect(r.problems).toEqual([]);
    const backends = r.profile.backends as Record<string, { url: string }>;
    expect(Object.keys(backends).sort()).toEqual(['team-a/b1', 'team-b/b1']);
    expect(backends['team-a/b1']!.url).toBe('http://a.example.com:443');
    expect(backends['team-b/b1']!.url).toBe('http://b.example.com:443');
    // The route in team-a reaches team-a's backend.
    expect((r.profile.models as Record<string, { targets: { backend: string }[] }>).m1!.targets[0]!.backend).toBe('team-a/b1');
  });
});

describe('an object given twice (same kind, namespace and name)', () => {
  it('the last is imported whole, as kubectl apply keeps it; the earlier one is a warning naming both and skipped', () => {
    const first = backend('b1')
      .split('\n---\n')[0]!
      .replace('{name: OpenAI}', '{name: Anthropic}\n  headerMutation: {set: [{name: x-first, value: "1"}]}');
    const second = backend('b1')
      .split('\n---\n')[0]!
      .replace('{name: OpenAI}', '{name: OpenAI}\n  headerMutation: {set: [{name: x-second, value: "2"}]}');
    const r = imported(docs(BASE.split('\n---\n')[0]!, first, second));
    expect(r.problems).toEqual([]);
    // Nothing of the first: neither its kind nor its headers.
    expect((r.profile.backends as Record<string, unknown>).b1).toEqual({ url: '${BACKEND_B1_URL}', headers: { 'x-second': '2' } });
    expect(r.said).toMatch(
      /^x.yaml:12:\d+: warning: AIServiceBackend\/default\/b1.metadata.name: AIServiceBackend\/default\/b1 is given again at x.yaml:18:1: kubectl apply keeps the last, so this one is ignored$/m,
    );
    expect(r.said).not.toMatch(/not mapped/);
    expect(r.skipped.filter((s) => s.kind === 'AIServiceBackend').map((s) => s.name)).toEqual(['default/b1']);
  });

  it('a Secret given twice: the key is read from the last', () => {
    const key = (value: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: keys}\nstringData: {alice: "${value}"}\n`;
    const policy = apiKeys({ alice: '${FIRST}' }).split('\n---\n')[0]!;
    const r = imported(docs(BASE, policy, key('${FIRST}'), key('${LAST}')));
    expect((r.profile.tenants as Record<string, { keys: string[] }>).alice!.keys).toEqual(['${LAST}']);
    expect(r.said).toMatch(/Secret\/default\/keys.metadata.name: Secret\/default\/keys is given again at x.yaml:/);
  });
});
