/**
 * What `${…}` may add to one read is bounded (attacker review). One value is one YAML token however many references
 * it holds, and the alias budget counts text as written: a value of `${U}` a million times (U unset) was a million
 * problems, and a long variable named often was a copy of it per reference — a 4 KiB variable 250,000 times, 1 GB.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';
import { MAX_ENV_CHARS, MAX_VARIABLE_REFERENCES } from '../../../src/profile/yaml-source.js';

const base = (extra: string) => `version: 1
backends:
  a: { url: "http://127.0.0.1:8001", apiKey: "\${KEY}" }
models:
  m: { targets: [{ backend: a }] }
${extra}
`;

const said = (text: string, env: Record<string, string>) => {
  const r = parseProfile(text, 'p.yaml', env);
  expect(r.ok).toBe(false);
  return r.ok ? '' : r.problems.map(formatProblem).join('\n');
};

describe('references to the environment are bounded', () => {
  it('an unset variable named 200,000 times in one value is one problem', () => {
    const text = said(base(`admin: { key: "${'${UNSET_X}'.repeat(200_000)}" }`), { KEY: 'k' });
    expect(text.match(/environment variable UNSET_X is not set/g)).toHaveLength(1);
    expect(text).not.toContain('not shown');
  });

  it(`more than ${MAX_VARIABLE_REFERENCES} references (defaults, aliases' copies) are one problem at the value past the bound`, () => {
    const list = Array.from({ length: 20 }, () => `"${'${D:-1}'.repeat(10_000)}"`).join(', ');
    const text = said(base(`x: [${list}]`), { KEY: 'k' });
    // The backend's ${KEY} is the first: x[9] holds the 100,001st.
    expect(text).toMatch(/^p\.yaml:6:\d+: error: x\[9\]: more than 100000 \$\{…\} references in all/m);
    expect(text.match(/references in all/g)).toHaveLength(1);
  });

  it(`a long variable named often: past ${MAX_ENV_CHARS} characters, one problem naming the variable, never its value`, () => {
    const pem = `-----BEGIN CERT-----${'Q'.repeat(4096)}`;
    const text = said(base(`x: "${'${PEM}'.repeat(5000)}"`), { KEY: 'k', PEM: pem });
    expect(text).toMatch(/error: x: values from the environment add more than 16777216 characters in all \(\$\{PEM\} here/);
    expect(text).not.toContain('QQQQ');
    expect(text.length).toBeLessThan(2048);
  });

  it('what profiles do stays well inside: a thousand tenants, each a 200-character key from the environment', () => {
    const env: Record<string, string> = { KEY: 'k' };
    let tenants = 'tenants:\n';
    for (let i = 0; i < 1000; i++) {
      env[`T${i}`] = `sk-${String(i).padStart(4, '0')}-${'z'.repeat(192)}`;
      tenants += `  t${i}: { keys: ["\${T${i}}"] }\n`;
    }
    const r = parseProfile(base(tenants), 'p.yaml', env);
    expect(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n')).toBe(true);
  });
});
