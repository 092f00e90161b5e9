/**
 * Manifests are taken literally: `${VAR}` in an ordinary field is text Envoy sends as written. An aigw profile
 * would fill it in from aigw's own environment (and send that value upstream), so each is a problem at its
 * field. Secret references are the one place the import writes `${VAR}` itself.
 */
import { describe, expect, it } from 'vitest';
import { loadProfileOrManifests } from '../../../src/bridge/load.js';
import { formatProblem } from '../../../src/profile/problems.js';
import { apiKeys, BASE, backend, docs, imported, write } from './manifests.js';

const refused =
  /error: (\S+): "[^"]*\$\{LEAKME\}[^"]*": Envoy sends \$\{LEAKME\} as written, but an aigw profile reads it from the environment/;

describe('${VAR} in an ordinary manifest field', () => {
  it.each([
    [
      'a modelNameOverride',
      BASE.replace('backendRefs: [{name: b1}]', 'backendRefs: [{name: b1, modelNameOverride: "${LEAKME}"}]'),
      'models.m1.targets[0].model',
    ],
    [
      'a headerMutation value',
      BASE.replace('  schema: {name: OpenAI}', '  schema: {name: OpenAI}\n  headerMutation: {set: [{name: x-note, value: "a ${LEAKME}"}]}'),
      'backends.b1.headers.x-note',
    ],
    ['a hostname', BASE.replace('hostname: b1.example.com', 'hostname: "${LEAKME}.example.com"'), 'backends.b1.url'],
    [
      'a header match',
      BASE.replace('value: m1}', 'value: m1}, {name: x-team, value: "${LEAKME}"}'),
      'models.m1.match[0].when.headers.x-team',
    ],
  ])('%s is a problem naming the field', (_name, text, path) => {
    const r = imported(text);
    expect(r.said).toMatch(refused);
    expect(r.problems.map((p) => p.path)).toContain(path);
  });

  it('the loader refuses the import, so serve never reads LEAKME', async () => {
    const file = write('leak.yaml', BASE.replace('backendRefs: [{name: b1}]', 'backendRefs: [{name: b1, modelNameOverride: "${LEAKME}"}]'));
    const r = await loadProfileOrManifests(file, { LEAKME: 'operator-secret' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem).join('\n')).toMatch(new RegExp(`${file}:8:\\d+: ${refused.source}`));
    expect(r.text ?? '').not.toContain('operator-secret');
  });

  it('Secret references stay ${VAR} (the variable the profile reads), without a problem', () => {
    const r = imported(docs(BASE, apiKeys({ alice: '${ALICE_KEY}', bob: 'literal' })));
    expect(r.problems).toEqual([]);
    expect(r.profile.tenants).toEqual({ alice: { keys: ['${ALICE_KEY}'] }, bob: { keys: ['${TENANT_BOB_KEY}'] } });
  });
});

/** A key policy on AIServiceBackend `target` reading Secret `secret` (in `ns`), and that Secret holding `value`. */
const keyFor = (target: string, secret: string, value: string, ns = 'default') => `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: ${target}-key, namespace: ${ns}}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: ${target}}]
  type: APIKey
  apiKey: {secretRef: {name: ${secret}}}
---
apiVersion: v1
kind: Secret
metadata: {name: ${secret}, namespace: ${ns}}
stringData: {apiKey: ${JSON.stringify(value)}}
`;

describe('each Secret its own variable: one backend key never goes to another host', () => {
  const two = BASE.replace('backendRefs: [{name: b1}]', 'backendRefs: [{name: b1}, {name: b2}]');
  const keys = (r: { profile: unknown }) => {
    const b = (r.profile as { backends: Record<string, { apiKey?: string }> }).backends;
    return [b.b1?.apiKey, b.b2?.apiKey];
  };

  it('Secrets openai.key and openai-key (both OPENAI_KEY by name) read two variables, the second one said', () => {
    const r = imported(docs(two, backend('b2'), keyFor('b1', 'openai.key', 'sk-1'), keyFor('b2', 'openai-key', 'sk-2')));
    expect(keys(r)).toEqual(['${OPENAI_KEY}', '${OPENAI_KEY_2}']);
    expect(r.said).toMatch(
      /BackendSecurityPolicy\/default\/b2-key.spec.apiKey.secretRef: \$\{OPENAI_KEY\} already stands for another credential: the key of Secret default\/openai-key is read from \$\{OPENAI_KEY_2\}/,
    );
    expect(r.said).not.toMatch(/sk-[12]/);
  });

  it('Secrets of one name in two namespaces read two variables', () => {
    const inNs = (text: string, ns: string) => text.replace(/metadata: \{name: (\S+)\}/g, `metadata: {name: $1, namespace: ${ns}}`);
    const route = BASE.split('\n---\n')[0]!.replace(
      'backendRefs: [{name: b1}]',
      'backendRefs: [{name: b1, namespace: a}, {name: b2, namespace: b}]',
    );
    const r = imported(
      docs(route, inNs(backend('b1'), 'a'), inNs(backend('b2'), 'b'), keyFor('b1', 'key', 'sk-1', 'a'), keyFor('b2', 'key', 'sk-2', 'b')),
    );
    expect(keys(r)).toEqual(['${KEY}', '${KEY_2}']);
  });

  it('one Secret used by two backends keeps one variable', () => {
    const shared = keyFor('b2', 'shared', 'sk').split('\n---\n')[0]!;
    const r = imported(docs(two, backend('b2'), keyFor('b1', 'shared', 'sk'), shared));
    expect(keys(r)).toEqual(['${SHARED}', '${SHARED}']);
    expect(r.said).not.toMatch(/already stands for another credential/);
  });

  it("a Secret's own ${VAR} keeps its name; a Secret named after it reads another variable, whichever comes first", () => {
    for (const order of [0, 1]) {
      const [first, second] = [keyFor('b1', 'openai-key', 'sk-literal'), keyFor('b2', 'named', '${OPENAI_KEY}')];
      const r = imported(docs(two, backend('b2'), ...(order ? [second, first] : [first, second])));
      expect(keys(r)).toEqual(['${OPENAI_KEY_2}', '${OPENAI_KEY}']);
    }
  });

  it('a backend Secret named like a tenant variable does not take the tenant key', () => {
    const r = imported(docs(BASE, apiKeys({ alice: 'sk-alice' }), keyFor('b1', 'tenant-alice-key', 'sk-backend')));
    const p = r.profile as { backends: Record<string, { apiKey: string }>; tenants: Record<string, { keys: string[] }> };
    expect(p.tenants.alice!.keys).not.toEqual([p.backends.b1!.apiKey]);
  });
});
