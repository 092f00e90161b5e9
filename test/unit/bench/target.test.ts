/** The profile the bench reads (through profile/) and the copy it starts: still a valid profile, no key in it. */
import { describe, expect, it } from 'vitest';
import { benchCopy, loadBenchProfile } from '../../../src/bench/target.js';
import { parseProfile } from '../../../src/profile/load.js';

describe('loadBenchProfile and the copy the bench starts', () => {
  it.each(['profiles/demo.yaml', 'profiles/buffer-gotcha.yaml', 'fixtures/profiles/bench-ratelimit.yaml'])('%s', async (file) => {
    const r = await loadBenchProfile(file, { ACME_KEY: 'sk-from-env' });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const mocks = Object.fromEntries(Object.keys(r.value.profile.backends).map((n, i) => [n, `http://127.0.0.1:${40000 + i}`]));
    const copy = JSON.stringify(benchCopy(r.value, mocks, 'the-bench-key'));
    expect(copy).not.toContain('the-bench-key');
    expect(copy).not.toContain('sk-from-env');
    // The copy keeps ${VAR} references (never the values): the gateway the bench starts reads the same environment.
    const again = parseProfile(copy, 'copy.json', { ACME_KEY: 'sk-from-env' });
    if (!again.ok) throw new Error(JSON.stringify(again.problems));
    for (const [name, url] of Object.entries(mocks)) expect(again.profile.backends[name]?.url).toBe(url);
    const tenants = Object.keys(r.value.profile.tenants ?? {});
    if (tenants.length) {
      expect(again.profile.tenants?.['aigw-bench']?.keys[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(again.profile.tenants?.['aigw-bench']?.limits).toBeUndefined();
      expect(again.warnings.filter((w) => w.message.includes('literal API key'))).toEqual([]);
    } else expect(again.profile.tenants?.['aigw-bench']).toBeUndefined();
    expect(again.profile.models).toEqual(r.value.profile.models);
  });

  it('reports a missing file as a profile problem', async () => {
    expect(await loadBenchProfile('nope.yaml')).toMatchObject({
      ok: false,
      problems: [{ file: 'nope.yaml', message: expect.stringMatching(/no such file/) }],
    });
  });
});
