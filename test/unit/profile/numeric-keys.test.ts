/**
 * A name written as a plain key is the name as written, or a problem where it stands. YAML reads `0012:` as the number
 * 12, a 21-digit ID as a double (its last digits lost), `1.10:` as 1.1, `1e3:` as 1000: the profile validated with
 * tenants and models nobody wrote — a JWT whose `sub` named tenant "0012" (or Google's 21-digit subject) was refused
 * as unknown, a client asking for model "1.10" got 404, and validate said ok (profile review).
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';

const text = (tenants: string, models = '') => `version: 1
backends:
  b: { url: "http://127.0.0.1:8001" }
models:
  m: { targets: [{ backend: b }] }
${models}tenants:
${tenants}`;

const problems = (profile: string) => {
  const r = parseProfile(profile, 'p.yaml', {});
  return r.ok ? [] : r.problems.map((p) => `${p.line}:${p.col}: ${p.path}: ${p.message}`);
};

describe('a plain key YAML reads as something else than its text', () => {
  it('is refused where it is written, saying what it reads as', () => {
    const profile = text(
      [
        '  0012: { keys: [k-0012-aaaaaaaa] }',
        '  112233445566778899001: { keys: [k-big-bbbbbbbb] }',
        '  56: { keys: [k-56-cccccccc] }',
        '  "0078": { keys: [k-0078-dddddddd] }',
        '',
      ].join('\n'),
      '  1.10: { targets: [{ backend: b }] }\n  0x1F: { targets: [{ backend: b }] }\n',
    );
    expect(problems(profile)).toEqual([
      '6:3: models.1.1: this key, written "1.10", is the number 1.1 to YAML: quote it to keep the name as written',
      '7:3: models.31: this key, written "0x1F", is the number 31 to YAML: quote it to keep the name as written',
      '9:3: tenants.12: this key, written "0012", is the number 12 to YAML: quote it to keep the name as written',
      '10:3: tenants.112233445566778900000: this key, written "112233445566778899001", is the number 112233445566778900000 to YAML: quote it to keep the name as written',
    ]);
  });

  it('quoted, or reading back as written, it is the name', () => {
    const r = parseProfile(
      text('  "0012": { keys: [k-0012-aaaaaaaa] }\n  56: { keys: [k-56-cccccccc] }\n  "1e3": { keys: [k-1e3-dddddddd] }\n'),
      'p.yaml',
      {},
    );
    expect(r.ok && Object.keys(r.profile.tenants ?? {}).sort()).toEqual(['0012', '1e3', '56']);
  });
});
