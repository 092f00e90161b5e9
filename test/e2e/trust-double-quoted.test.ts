/**
 * A long double-quoted value is counted against the YAML budget (attacker review). The library reads a double-quoted
 * value one character at a time, appending each to the last: ~33 bytes of heap and ~0.2 µs a character while it is
 * read, for what the lexer counted as one token. A 16 MiB value exhausted a 512 MiB heap — validate died, and so did a
 * serving gateway at the reload (64 MiB, under the file cap, is 2.1 GB and 13 s of its loop a read, read three
 * times). Now such a value counts a token for every 16 characters, and the file is refused before it is parsed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAigw } from '../helpers/cli.js';
import { MINIMAL_PROFILE, serveThenReloadOnto } from '../helpers/reload.js';
import { BASE } from '../unit/bridge/manifests.js';

const GOOD = MINIMAL_PROFILE;
const LONG = 'x'.repeat(16 << 20);
const SMALL_HEAP = { NODE_OPTIONS: '--max-old-space-size=512' };
const TOO_LARGE = /error: cannot read the profile: more than 1,000,000 YAML tokens/;
const dir = mkdtempSync(join(tmpdir(), 'aigw-double-quoted-'));

describe('a 16 MiB double-quoted value', () => {
  it.each([
    ['a profile', 'profile.yaml', `${GOOD}listen: "${LONG}"\n`],
    ['manifests', 'manifests.yaml', `${BASE}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {big: "${LONG}"}\n`],
  ])(
    'in %s: validate refuses it before reading it, and exits 2',
    async (_what, name, text) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      const started = Date.now();
      const r = await runAigw(['validate', '-c', file], SMALL_HEAP);
      expect(r.stderr).not.toContain('heap out of memory');
      expect(r.code, r.stderr.slice(-400)).toBe(2);
      expect(r.stderr).toMatch(TOO_LARGE);
      expect(Date.now() - started).toBeLessThan(15_000);
    },
    60_000,
  );

  it('a serving gateway refuses the reload onto it and keeps serving', async () => {
    const file = join(dir, 'served.yaml');
    writeFileSync(file, GOOD);
    const { gw, gone } = await serveThenReloadOnto(file, `${GOOD}listen: "${LONG}"\n`, SMALL_HEAP);
    expect(gone(), gw.stderr().slice(-400)).toBe(false);
    expect(gw.stderr()).toMatch(TOO_LARGE);
    expect((await fetch(`${gw.urls.admin}/healthz`)).status).toBe(200);
    expect(await gw.stop()).toBe(0);
  }, 60_000);
});
