/**
 * `${…}` references are found in time linear in a value. The reference pattern's default (`:-[^}]*`) runs to the next
 * `}`: in a value of `${A:-` written over and over with no `}` after it, each of its starts ran to the end of the
 * value and failed — 40,000 of them in a 200 KB value took 12–27 s of CPU at validate, at a start and at each reload
 * (the profile's read), and as long for `aigw import envoy` and `serve -c MANIFESTS` of a manifest holding one.
 */
import { describe, expect, it } from 'vitest';
import { unsetVariables } from '../../../src/bridge/env.js';
import { parseProfile } from '../../../src/profile/load.js';
import { BASE, imported } from '../bridge/manifests.js';

const OPEN = '${A:-'.repeat(20_000);

const timed = <T>(f: () => T): [T, number] => {
  const started = performance.now();
  const out = f();
  return [out, performance.now() - started];
};

describe('a value of unclosed ${…} references', () => {
  it('in a profile is read at once (~3 s before), and refused as no reference (it was kept as text)', () => {
    const text = `version: 1
backends:
  a: { url: http://127.0.0.1:8001, apiKey: "${OPEN}" }
models:
  m: { targets: [{ backend: a }] }`;
    const [r, ms] = timed(() => parseProfile(text, 'p.yaml', {}));
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^the \$\{ at character 1 of this value begins no variable reference/),
    ]);
    expect(ms).toBeLessThan(400);
  });

  it('in a manifest is imported at once', () => {
    const asb = BASE.replace(
      'schema: {name: OpenAI}',
      `schema: {name: OpenAI}\n  headerMutation: {set: [{name: x-note, value: "${OPEN}"}]}`,
    );
    const [r, ms] = timed(() => imported(asb));
    expect(r.problems).toEqual([]);
    expect(ms).toBeLessThan(400);
  });

  it('in a profile, for its unset variables', () => {
    const [names, ms] = timed(() => unsetVariables(`x: "${OPEN}"\n`, {}));
    expect(names).toEqual([]);
    expect(ms).toBeLessThan(400);
  });

  it('references are still found where they close', () => {
    expect(unsetVariables('${B} ${C:-c} ${D:-${E}} ${F', {})).toEqual(['B']);
    const text = `version: 1
backends:
  a: { url: http://127.0.0.1:8001, apiKey: "\${A:-\${A:-x}}\${K}" }
models:
  m: { targets: [{ backend: a }] }`;
    const r = parseProfile(text, 'p.yaml', { K: 'k' });
    expect(r.ok ? [] : r.problems.map((p) => p.message)).toEqual([expect.stringMatching(/cannot hold another/)]);
  });
});
