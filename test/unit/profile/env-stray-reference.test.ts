/**
 * A `${` that begins no reference aigw reads (CLI review): `${ACME-KEY}` (a dash), `${X-default}` (the shell's form
 * without the colon), `${ X }`, `${1X}`, one never closed — each was kept as text, so the literal `${ACME-KEY}`
 * became the tenant's key (anyone sending those eleven characters was served as acme) or was sent upstream as the
 * backend's key, and validate said "ok". Each is a problem at its value now, naming its place, never its text.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';

const profile = (key: string, apiKey = '${UP}') => `version: 1
backends:
  a: { url: "http://127.0.0.1:8001", apiKey: "${apiKey}" }
models:
  m: { targets: [{ backend: a }] }
tenants:
  acme: { keys: ["${key}"] }
`;

const env = { UP: 'sk-up', ACME_KEY: 'acme-secret' };

describe('a ${ that begins no variable reference', () => {
  for (const bad of ['${ACME-KEY}', '${ACME_KEY-fallback}', '${ ACME_KEY }', '${1KEY}', 'pre${ACME_KEY', '${ACME_KEY}${X.Y}']) {
    it(`is refused at its value: ${bad}`, () => {
      const r = parseProfile(profile(bad), 'p.yaml', env);
      expect(r.ok).toBe(false);
      const said = r.ok ? '' : r.problems.map(formatProblem).join('\n');
      expect(said).toMatch(
        /^p\.yaml:7:\d+: error: tenants\.acme\.keys\[0\]: the \$\{ at character \d+ of this value begins no variable reference: write \$\{NAME\} or \$\{NAME:-default\}/,
      );
      // Never the value's text (it may be a key): only where the `${` stands.
      expect(said).not.toContain('ACME');
      expect(said).not.toContain('acme-secret');
    });
  }

  it('in a backend key too', () => {
    const r = parseProfile(profile('${ACME_KEY}', '${OPENAI-KEY}'), 'p.yaml', env);
    expect(r.ok ? [] : r.problems.map((p) => `${p.path} ${p.message.slice(0, 40)}`)).toEqual([
      'backends.a.apiKey the ${ at character 1 of this value begi',
    ]);
  });

  it('references as documented still load', () => {
    const r = parseProfile(profile('${ACME_KEY}', 'Bearer-${UP}-${NOPE:-x}'), 'p.yaml', env);
    expect(r.ok && [r.profile.tenants?.acme?.keys, r.profile.backends.a?.apiKey]).toEqual([['acme-secret'], 'Bearer-sk-up-x']);
  });
});
