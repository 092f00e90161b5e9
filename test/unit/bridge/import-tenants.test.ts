/**
 * Tenants and their rate limits on import: every API-key tenant imports (each unset key stands in as its own
 * value while the profile is checked), limits in another unit are rounded up and never to 0, and of two rules
 * for the same limit the strictest is kept, with a warning.
 */
import { describe, expect, it } from 'vitest';
import { standIn, unsetVariables, withStandIns } from '../../../src/bridge/env.js';
import { loadProfileOrManifests } from '../../../src/bridge/load.js';
import { formatProblem } from '../../../src/profile/problems.js';
import { apiKeys, BASE, docs, imported, rateLimits, rule, write } from './manifests.js';

describe('API-key tenants', () => {
  it('three tenants whose keys are unset import and validate (each key its own stand-in)', async () => {
    const file = write('tenants.yaml', docs(BASE, apiKeys({ alice: '${ALICE_KEY}', bob: '${BOB_KEY}', carol: 'literal-key' })));
    const first = await loadProfileOrManifests(file, {});
    const needs = unsetVariables(first.text ?? '', {});
    expect(needs).toEqual(['ALICE_KEY', 'BOB_KEY', 'TENANT_CAROL_KEY']);
    const r = await loadProfileOrManifests(file, withStandIns({}, needs));
    expect(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n')).toBe(true);
    if (r.ok) expect(Object.keys(r.profile.tenants ?? {})).toEqual(['alice', 'bob', 'carol']);
  });

  it('stand-ins differ per variable and leave set variables alone', () => {
    expect(standIn('A')).not.toBe(standIn('B'));
    expect(withStandIns({ A: 'set' }, ['A', 'B'])).toEqual({ A: 'set', B: standIn('B') });
  });
});

describe('rate limits', () => {
  const limitsOf = (...rules: string[]) => {
    const r = imported(docs(BASE, apiKeys({ alice: '${ALICE_KEY}' }), rateLimits(...rules)));
    return { r, alice: (r.profile.tenants as Record<string, Record<string, unknown>>).alice! };
  };

  it('in a larger unit than the window: rounded up, never to 0 (which would refuse every request)', () => {
    const { r, alice } = limitsOf(rule('alice', 5, 'Second'), rule('alice', 100, 'Hour', 'm1'));
    expect(r.profile.limits).toMatchObject({ rateWindow: '1s' });
    expect(alice.limits).toEqual({ rpm: 5 });
    expect(alice.modelLimits).toEqual({ m1: { rpm: 1 } });
    expect(r.said).toMatch(/rules\[1\].limit: converted to 1 per 1s/);
  });

  it('a fraction of a request is rounded up: 90 per hour in a 1m window is 2', () => {
    const { alice } = limitsOf(rule('alice', 5, 'Minute'), rule('alice', 90, 'Hour', 'm1'));
    expect(alice.modelLimits).toEqual({ m1: { rpm: 2 } });
  });

  it('two rules for the same limit: the strictest is kept, whichever comes first, and the other is named', () => {
    for (const rules of [
      [rule('alice', 100, 'Minute'), rule('alice', 10, 'Minute')],
      [rule('alice', 10, 'Minute'), rule('alice', 100, 'Minute')],
    ]) {
      const { r, alice } = limitsOf(...rules);
      expect(alice.limits).toEqual({ rpm: 10 });
      const loose = rules[0]!.includes('100') ? 0 : 1;
      expect(r.said).toMatch(
        new RegExp(`rules\\[${loose}\\]: another rule also sets the rpm of tenant alice: the profile keeps the strictest, 10 per 1m`),
      );
    }
  });
});
