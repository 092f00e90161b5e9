/**
 * What the YAML library says of a file is cut as a problem quotes a value (attacker review). Some of its messages
 * quote the text they refuse whole: `Could not resolve tag: !x!…` holds the whole tag — one token, of any length
 * under the file cap — so an 8 MiB tag was an 8 MiB problem (validate's line, a refused reload's stderr line and
 * event), in a profile and in manifests alike.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';
import { BASE, docs, imported } from '../bridge/manifests.js';

const LONG = 'a'.repeat(8 << 20);

const PROFILE = `version: 1
backends:
  a: { url: "http://127.0.0.1:8001" }
models:
  m: { targets: [{ backend: a }] }
`;

describe('a YAML message quoting a long token is cut', () => {
  it.each([
    ['a tag whose handle is not declared', `${PROFILE}listen: !x!${LONG} "127.0.0.1:8080"\n`, 'Could not resolve tag: !x!aaa'],
    ['a local tag the schema does not know', `${PROFILE}listen: !${LONG} "127.0.0.1:8080"\n`, 'Unresolved tag: !aaa'],
    ['an unknown directive', `%${LONG} x\n---\n${PROFILE}`, 'Unknown directive %aaa'],
  ])('in a profile: %s', (_name, text, begins) => {
    const r = parseProfile(text, 'p.yaml', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const said = r.problems.map(formatProblem).join('\n');
    expect(said).toContain(begins);
    expect(said).toContain('…');
    expect(said.length).toBeLessThan(2048);
  });

  it('in manifests', () => {
    const r = imported(docs(BASE, `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: !x!${LONG} c}\n`));
    expect(r.problems).toHaveLength(1);
    expect(r.said).toMatch(/^x\.yaml:\d+:\d+: error: Could not resolve tag: !x!a{100,}…$/m);
    expect(r.said.length).toBeLessThan(2048);
  });

  it('a short message is as the library says it', () => {
    const r = parseProfile(`${PROFILE}listen: !x!y "127.0.0.1:8080"\n`, 'p.yaml', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem)).toContain('p.yaml:6:9: error: Could not resolve tag: !x!y');
  });
});
