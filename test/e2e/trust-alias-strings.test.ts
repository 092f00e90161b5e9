/**
 * Aliases of one long string are bounded like nested aliases (attacker review). One 1 MiB scalar anchored once
 * and aliased a thousand times is a thousand values — far under the alias budget — in a 1.1 MB file, but each
 * alias that reaches a string operation (the importer escaping a skipped manifest's name, a profile filling in
 * `${X:-d}`) flattens a fresh 1 MiB copy. The budget also counts the characters aliases copy, so such a file is
 * one problem at the alias, found quickly: validate exits 2 and a serving gateway refuses the reload and keeps
 * serving. The heap is held to 512 MiB (below Node's default) so a copy per alias could not pass unnoticed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAigw } from '../helpers/cli.js';
import { serveThenReloadOnto } from '../helpers/reload.js';
// One route `m1` → AIServiceBackend `b1` → Backend (never called).
import { BASE } from '../unit/bridge/manifests.js';

const BIG = 'a'.repeat(1 << 20);
const ALIASES = 1000;
const dir = mkdtempSync(join(tmpdir(), 'aigw-alias-strings-'));

/** BASE and a thousand ConfigMaps (which the import skips), all named by one alias of a 1 MiB name. */
function aliasedNames(): string {
  let s = `${BASE}\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: &n ${BIG}}}\n`;
  for (let i = 0; i < ALIASES; i++) s += '- {apiVersion: v1, kind: ConfigMap, metadata: {name: *n}}\n';
  return s;
}

/** A profile whose one 1 MiB model name holds `${X:-d}`, aliased a thousand times: interpolation copies each alias. */
function aliasedProfile(): string {
  let s = "version: 1\nbackends:\n  b: { url: 'http://127.0.0.1:9' }\nmodels:\n  m:\n    targets:\n";
  s += `      - { backend: b, model: &s "${BIG}\${X:-d}" }\n`;
  for (let i = 0; i < ALIASES; i++) s += '      - { backend: b, model: *s }\n';
  return s;
}

const SMALL_HEAP = { NODE_OPTIONS: '--max-old-space-size=512' };
const REFUSED = /:\d+:\d+: error: aliases expand to more than 16777216 characters \(at \*[ns];/;

describe('aliases of one long string', () => {
  it.each([
    ['a manifests file', 'names.yaml', aliasedNames],
    ['a profile whose aliases are interpolated', 'profile.yaml', aliasedProfile],
  ])(
    'in %s: validate says so at the alias and exits 2, in seconds',
    async (_what, name, text) => {
      const file = join(dir, name);
      writeFileSync(file, text());
      const started = Date.now();
      const r = await runAigw(['validate', '-c', file], SMALL_HEAP);
      expect(r.stderr).not.toContain('heap out of memory');
      expect(r.code, r.stderr.slice(-400)).toBe(2);
      expect(r.stderr).toMatch(REFUSED);
      expect(Date.now() - started).toBeLessThan(15_000);
    },
    60_000,
  );

  it('a serving gateway refuses the reload onto such manifests and keeps serving', async () => {
    const file = join(dir, 'served.yaml');
    writeFileSync(file, BASE);
    const { gw, gone } = await serveThenReloadOnto(file, aliasedNames(), SMALL_HEAP);
    expect(gone(), gw.stderr().slice(-400)).toBe(false);
    expect(gw.stderr()).toMatch(/reload refused/);
    expect(gw.stderr()).toMatch(REFUSED);
    expect((await fetch(`${gw.urls.admin}/healthz`)).status).toBe(200);
    expect(await gw.stop()).toBe(0);
  }, 60_000);
});
