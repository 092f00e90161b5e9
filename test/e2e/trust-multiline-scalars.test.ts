/**
 * A scalar's lines are counted against the YAML budget. The lexer makes a block scalar (`|`, `>`) or a plain or quoted
 * value over several lines one token, but the library folds it line by line — ~100 bytes of heap and some µs a line:
 * a `|` value of five million lines (20 MB, under the file cap) ran validate out of a 512 MiB heap after 27 s (killed,
 * signal 6), a plain one took 17 s and 560 MB, and a start or a reload paid as much. Now each line past a value's first
 * counts a token, and the file is refused before it is parsed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAigw } from '../helpers/cli.js';
import { MINIMAL_PROFILE } from '../helpers/reload.js';
import { configMapAfterBase, expectRefusedBeforeRead } from '../helpers/yaml-refusal.js';

const LINES = 5_000_000;
const TOO_LARGE = /error: cannot read the profile: more than 1,000,000 YAML tokens/;
const dir = mkdtempSync(join(tmpdir(), 'aigw-multiline-'));

describe('a value of five million lines', () => {
  it.each([
    ['a block scalar in a profile', 'profile.yaml', `${MINIMAL_PROFILE}listen: |\n${'  a\n'.repeat(LINES)}`],
    ['a plain scalar in manifests', 'manifests.yaml', configMapAfterBase(`:\n  big: a${'\n    a'.repeat(LINES)}`)],
  ])(
    '%s: validate refuses it before reading it, and exits 2',
    (_what, name, text) => expectRefusedBeforeRead(join(dir, name), text, TOO_LARGE),
    90_000,
  );

  it('a long value folded over 30 lines still loads', async () => {
    const file = join(dir, 'folded.yaml');
    writeFileSync(file, `${MINIMAL_PROFILE}admin:\n  key: >-\n${'    QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n'.repeat(30)}`);
    const r = await runAigw(['validate', '-c', file]);
    expect(r.code, r.stderr).toBe(0);
  }, 30_000);
});
