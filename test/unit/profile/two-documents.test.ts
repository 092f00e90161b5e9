/**
 * A profile of two YAML documents — a `---` after it, as Helm and kustomize output ends (CLI review): the problem
 * was the YAML library's advice to its caller, "Source contains multiple documents; please use
 * YAML.parseAllDocuments()". It says what to change now, at the `---`.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';

const profile = `version: 1
backends:
  a: { url: "http://127.0.0.1:8001" }
models:
  m: { targets: [{ backend: a }] }
`;

describe('a profile of two documents', () => {
  for (const [name, text] of [
    ['a trailing ---', `${profile}---\n`],
    ['a second profile', `${profile}---\n${profile}`],
  ] as const) {
    it(`is said at the --- in the user's terms: ${name}`, () => {
      const r = parseProfile(text, 'p.yaml', {});
      const said = r.ok ? [] : r.problems.map(formatProblem);
      expect(said).toEqual([
        'p.yaml:6:1: error: a profile is one YAML document: this `---` begins a second one (remove it; several documents are read only as Kubernetes manifests with apiVersion and kind)',
      ]);
      expect(said.join('\n')).not.toContain('parseAllDocuments');
    });
  }
});
