/**
 * A single-quoted value's `''` escapes are counted against the YAML budget, as a double-quoted value's characters are
 * (trust 51). The lexer counts the value as one token, but the library unescapes it with a global replace — ~40 bytes
 * of heap and ~1 µs an escape: 32 MB of `''` (16 million escapes, under the file cap) ran validate out of a 512 MiB heap
 * (killed, signal 6) after 14 s, and a start or a reload paid as much. Now each escape counts a token, and the file is
 * refused before it is parsed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAigw } from '../helpers/cli.js';
import { MINIMAL_PROFILE } from '../helpers/reload.js';
import { configMapAfterBase, expectRefusedBeforeRead } from '../helpers/yaml-refusal.js';

const ESCAPES = `'${"''".repeat(16_000_000)}'`;
const TOO_LARGE = /error: cannot read the profile: more than 1,000,000 YAML tokens/;
const dir = mkdtempSync(join(tmpdir(), 'aigw-single-quoted-'));

describe("a single-quoted value of 16 million '' escapes", () => {
  it.each([
    ['a profile', 'profile.yaml', `${MINIMAL_PROFILE}listen: ${ESCAPES}\n`],
    ['manifests', 'manifests.yaml', configMapAfterBase(`: {big: ${ESCAPES}}`)],
  ])(
    'in %s: validate refuses it before reading it, and exits 2',
    (_what, name, text) => expectRefusedBeforeRead(join(dir, name), text, TOO_LARGE),
    90_000,
  );

  it("a value with a few '' escapes still loads", async () => {
    const file = join(dir, 'few.yaml');
    writeFileSync(file, `${MINIMAL_PROFILE}admin: { key: 'it''s a key' }\n`);
    const r = await runAigw(['validate', '-c', file]);
    expect(r.code, r.stderr).toBe(0);
  }, 30_000);
});
