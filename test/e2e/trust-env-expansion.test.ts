/**
 * `${…}` references are bounded like aliases (attacker review). A value is one YAML token whatever it holds, so the
 * token budget let through a 16 MiB value of `${U}` — four million references to an unset variable, each a problem
 * object — and the alias budget, counting text as written, let a 4 KiB variable (a certificate or a service account's
 * JSON kept in the environment) be copied once per reference: 240,000 references in 1.4 MB of profile, 1 GB of
 * strings. Either killed the reader on an exhausted heap: validate, and a serving gateway at its reload. The heap is
 * held to 512 MiB, as trust-alias-strings holds it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAigw } from '../helpers/cli.js';
import { MINIMAL_PROFILE, serveThenReloadOnto } from '../helpers/reload.js';

const GOOD = MINIMAL_PROFILE;
// Single-quoted: the YAML library reads a double-quoted value a character at a time (test/e2e/trust-double-quoted.test.ts).
/** Four million references to a variable nobody set, in one 16 MiB value. */
const unsetMany = () => `${GOOD}admin: { key: '${'${U}'.repeat(4 << 20)}' }\n`;
/** 240,000 references to a 4 KiB variable, in eight values (each copy under V8's longest string). */
const longMany = () => `${GOOD}x:\n${Array.from({ length: 8 }, () => `  - '${'${PEM}'.repeat(30_000)}'\n`).join('')}`;

const ENV = { NODE_OPTIONS: '--max-old-space-size=512', PEM: `-----BEGIN CERTIFICATE-----${'M'.repeat(4096)}` };
const dir = mkdtempSync(join(tmpdir(), 'aigw-env-expansion-'));

describe('references to the environment', () => {
  it.each([
    ['an unset variable named four million times', 'unset.yaml', unsetMany, /error: admin\.key: environment variable U is not set/],
    ['a 4 KiB variable named 240,000 times', 'long.yaml', longMany, /error: x\[\d\]: values from the environment add more than/],
  ])(
    '%s: validate says so and exits 2',
    async (_what, name, text, said) => {
      const file = join(dir, name);
      writeFileSync(file, text());
      const r = await runAigw(['validate', '-c', file], ENV);
      expect(r.stderr).not.toContain('heap out of memory');
      expect(r.code, r.stderr.slice(-400)).toBe(2);
      expect(r.stderr).toMatch(said);
      expect(r.stderr.length).toBeLessThan(64 * 1024);
    },
    60_000,
  );

  it('a serving gateway refuses the reload onto such a profile and keeps serving', async () => {
    const file = join(dir, 'served.yaml');
    writeFileSync(file, GOOD);
    const { gw, gone } = await serveThenReloadOnto(file, unsetMany(), ENV);
    expect(gone(), gw.stderr().slice(-400)).toBe(false);
    expect(gw.stderr()).toMatch(/reload refused: .*admin\.key: environment variable U is not set/);
    expect((await fetch(`${gw.urls.admin}/healthz`)).status).toBe(200);
    expect(await gw.stop()).toBe(0);
  }, 60_000);
});
