/**
 * Trust class 9 on the profile side: a value from the environment stays a string even when all digits, and
 * no problem message ever prints a value that came from the environment.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';

const base = (extra: string) => `
version: 1
backends:
  a: { url: http://127.0.0.1:8001, apiKey: "\${KEY}" }
models:
  m: { targets: [{ backend: a, weight: "\${WEIGHT:-1}" }] }
${extra}`;

describe('values from the environment', () => {
  it('keeps an all-digit key a string, and still reads numbers from the environment where numbers go', () => {
    const r = parseProfile(base(''), 'p.yaml', { KEY: '1234567890', WEIGHT: '3' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.profile.backends.a!.apiKey).toBe('1234567890');
    expect(r.profile.models.m!.targets[0]!.weight).toBe(3);
  });

  it.each([
    [
      'a secret where a number goes',
      'tenants:\n  t: { keys: [k], limits: { tpm: "${SECRET_TPM}" } }',
      { SECRET_TPM: 'sk-live-secret-value' },
    ],
    ['a secret where a duration goes', 'timeouts: { connect: "${SECRET_TIMEOUT}" }', { SECRET_TIMEOUT: 'sk-live-other-secret' }],
    ['a secret where a URL goes', 'limits: { store: { redis: "${SECRET_URL}" } }', { SECRET_URL: 'sk-live-third-secret' }],
  ])('never prints %s', (_name, extra, env) => {
    const r = parseProfile(base(extra), 'p.yaml', { KEY: 'k', ...env });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.map(formatProblem).join('\n');
    for (const v of Object.values(env)) expect(text).not.toContain(v);
  });
});
