/**
 * A profile is read at start and on every reload, on the gateway's event loop: what a hostile or runaway file
 * costs in problems, their text and the time to word them is bounded, and names from the file are looked up
 * as own keys only.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PROBLEMS, parseProfile } from '../../../src/profile/load.js';
import { closest, editDistance, quoted } from '../../../src/profile/suggest.js';

const profileWith = (models: string, tenants = '') =>
  `version: 1\nbackends:\n  v: { url: "http://127.0.0.1:1" }\nmodels:\n${models}\n${tenants}`;

describe('problems a file can make', () => {
  it('lists at most MAX_PROBLEMS, then how many more, each naming at most 20 known names', () => {
    const models = Array.from({ length: 1000 }, (_, i) => `  m${i}: { targets: [{ backend: v }] }`).join('\n');
    const unknown = Array.from({ length: 5000 }, (_, i) => `u${i}`).join(', ');
    const r = parseProfile(profileWith(`${models}\n  x: { targets: [{ backend: v }], fallbacks: [${unknown}] }`), 'p.yaml', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(r.problems.at(-1)!.message).toBe('4900 more errors not shown (fix the ones above first)');
    expect(r.problems[0]!.message).toMatch(/^unknown model "u0" \(did you mean "m0"\?\); known models: m0, m1, .*, m19 and 981 more$/);
    // Each listed every model before: 5,000 problems of ~7 KB.
    expect(r.problems.reduce((n, p) => n + p.message.length, 0)).toBeLessThan(50_000);
  });

  it.each([
    ['.nan', 'NaN'],
    ['.inf', 'Infinity'],
    ['1e400', 'Infinity'],
    ['-1e400', '-Infinity'],
  ])('names %s as the number it is, not as null', (yaml, shown) => {
    const r = parseProfile(profileWith(`  a: { targets: [{ backend: v, weight: ${yaml} }] }`), 'p.yaml', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toContainEqual(
      expect.objectContaining({ path: 'models.a.targets[0].weight', message: `expected a number, got ${shown} (not a finite number)` }),
    );
  });

  it('cuts a long name in messages and suggests nothing for it', () => {
    const long = 'n'.repeat(80_000);
    const r = parseProfile(profileWith(`  a: { targets: [{ backend: v }], fallbacks: ["${long}"] }`), 'p.yaml', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]!.message).toBe(`unknown model ${quoted(long)}; known models: a`);
    expect(r.problems[0]!.message.length).toBeLessThan(200);
  });

  it.each([
    [
      'where one of a few words goes',
      (v: string) => profileWith(`  a: { strategy: ${v}, targets: [{ backend: v }] }`),
      'models.a.strategy',
    ],
    [
      'where a duration goes (a refinement quoting it)',
      (v: string) => profileWith('  a: { targets: [{ backend: v }] }', `timeouts: { idle: ${v} }`),
      'timeouts.idle',
    ],
  ])('cuts a long refused value %s, as it cuts names (a refused reload kept it whole)', (_where, profile, path) => {
    const long = 'x'.repeat(1 << 20);
    const r = parseProfile(profile(long), 'p.yaml', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const p = r.problems.find((x) => x.path === path)!;
    expect(p.message).toContain(`got ${path.endsWith('strategy') ? 'string ' : ''}${quoted(long)}`);
    expect(p.message.length).toBeLessThan(300);
  });

  it.each([
    [
      'a backend URL that does not parse',
      (v: string) => `version: 1\nbackends:\n  v: { url: "${v}" }\nmodels:\n  a: { targets: [{ backend: v }] }\n`,
      'backends.v.url',
    ],
    [
      'a forwardIdentity header that is no header name',
      (v: string) =>
        `version: 1\nbackends:\n  v: { url: "http://127.0.0.1:1", forwardIdentity: { tenantHeader: "x ${v}" } }\nmodels:\n  a: { targets: [{ backend: v }] }\n`,
      'backends.v.forwardIdentity.tenantHeader',
    ],
  ])('cuts a long value in a check of its own: %s', (_what, profile, path) => {
    const r = parseProfile(profile('x'.repeat(1 << 20)), 'p.yaml', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const p = r.problems.find((x) => x.path === path)!;
    expect(p.message).toContain('…');
    expect(p.message.length).toBeLessThan(300);
  });

  it('never shows a value from the environment that the schema lowercased before a check quoted it (sticky.header)', () => {
    const SECRET = 'Sk-LiveAbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
    const r = parseProfile(
      'version: 1\nbackends:\n  v: { url: "http://127.0.0.1:1" }\nmodels:\n  a: { targets: [{ backend: v }], sticky: { header: "${SECRET} x" } }\n',
      'p.yaml',
      { SECRET },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.path)).toContain('models.a.sticky.header');
    expect(JSON.stringify(r.problems).toLowerCase()).not.toContain(SECRET.toLowerCase().slice(0, 12));
  });

  it('refuses a model name the gateway could never be asked for (over 256 characters)', () => {
    const long = 'm'.repeat(257);
    const r = parseProfile(
      profileWith(`  ${long}: { targets: [{ backend: v }] }\n  ${'m'.repeat(256)}: { targets: [{ backend: v }] }`),
      'p.yaml',
      {},
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems.map((p) => p.message)).toEqual([
        'a model name over 256 characters can never be requested (the gateway refuses longer names)',
      ]);
  });

  it('refuses a backend header that frames the request on its connection (the gateway writes those for each request)', () => {
    const r = parseProfile(
      `version: 1
backends:
  v: { url: "http://127.0.0.1:8000", headers: { Content-Length: "5", transfer-encoding: chunked, x-team: ml, host: vllm.internal } }
models:
  m: { targets: [{ backend: v }] }
`,
      'p.yaml',
      {},
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems.map((p) => [p.path, p.message])).toEqual([
        ['backends.v.headers.Content-Length', 'content-length frames each request on its connection: the gateway sets it'],
        ['backends.v.headers.transfer-encoding', 'transfer-encoding frames each request on its connection: the gateway sets it'],
      ]);
  });

  it('takes a tenant named like a property of every object for the unknown tenant it is', () => {
    for (const t of ['constructor', 'toString', '__proto__']) {
      const r = parseProfile(
        profileWith(
          `  m: { targets: [{ backend: v }], match: [{ when: { tenant: ${JSON.stringify(t)} }, targets: [{ backend: v }] }] }`,
          'tenants:\n  a: { keys: [k] }',
        ),
        'p.yaml',
        {},
      );
      expect(r.ok, t).toBe(false);
      if (!r.ok) expect(r.problems.map((p) => p.message).join('\n'), t).toContain(`unknown tenant "${t}"`);
    }
  });
});

/** The suggestion as it was, scanning every known name. */
function closestByScan(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** Plain Levenshtein: a swap of two letters is two edits. */
function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

describe('did you mean', () => {
  it('counts two adjacent letters swapped as one edit, the typo a hand makes most', () => {
    expect(closest('tmp', ['tpm', 'rpm', 'concurrency', 'budget'])).toBe('tpm');
    expect(editDistance('wieght', 'weight')).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('abc', 'cab')).toBe(2);
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 10 });
    fc.assert(
      fc.property(text, text, fc.nat(), (a, b, at) => {
        const d = editDistance(a, b);
        expect(d).toBe(editDistance(b, a));
        // A swap saves one edit of two, never more.
        expect(d).toBeLessThanOrEqual(levenshtein(a, b));
        expect(d).toBeGreaterThanOrEqual(Math.ceil(levenshtein(a, b) / 2));
        if (a.length >= 2) {
          const i = at % (a.length - 1);
          const swapped = a.slice(0, i) + a[i + 1] + a[i] + a.slice(i + 2);
          expect(editDistance(a, swapped)).toBe(a[i] === a[i + 1] ? 0 : 1);
        }
      }),
    );
  });

  it('suggests what a scan of every known name suggests, skipping names whose length alone rules them out', () => {
    const name = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', '-'), maxLength: 12 });
    fc.assert(
      fc.property(name, fc.array(name, { maxLength: 30 }), (n, known) => {
        expect(closest(n, known)).toBe(closestByScan(n, known));
      }),
    );
  });
});
