/**
 * Manifests are taken literally: `${VAR}` in an ordinary field is text Envoy sends as written. An aigw profile
 * would fill it in from aigw's own environment (and send that value upstream), so each is a problem at its
 * field. Secret references are the one place the import writes `${VAR}` itself.
 */
import { describe, expect, it } from 'vitest';
import { loadProfileOrManifests } from '../../../src/bridge/load.js';
import { formatProblem } from '../../../src/profile/problems.js';
import { apiKeys, BASE, docs, imported, write } from './manifests.js';

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
