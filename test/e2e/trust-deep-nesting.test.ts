/**
 * Nesting is bounded before a file is parsed. `[[[…]]]` or `{a: {a: …}}` is two tokens a level, well inside the token
 * budget, but the library parses and composes each level (and the reader recurses into it): 490,000 levels of `[` (a
 * 980 KB profile) ran validate out of a 512 MiB heap after 44 s (killed, signal 6), 200,000 took 13 s and 520 MB to
 * say "Maximum call stack size exceeded" — at a start, or a reload, as much. Now more than 1,000 levels of `[`/`{` (or
 * of `- ` on one line) are refused, saying so, before anything is parsed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAigw } from '../helpers/cli.js';
import { MINIMAL_PROFILE } from '../helpers/reload.js';
import { configMapAfterBase, expectRefusedBeforeRead } from '../helpers/yaml-refusal.js';

const N = 490_000;
const TOO_DEEP = /error: cannot read the profile: nested more than 1000 levels deep/;
const dir = mkdtempSync(join(tmpdir(), 'aigw-deep-'));

describe('a value nested 490,000 levels deep', () => {
  it.each([
    ['lists in a profile', 'profile.yaml', `${MINIMAL_PROFILE}listen: ${'['.repeat(N)}${']'.repeat(N)}\n`],
    ['maps in manifests', 'manifests.yaml', configMapAfterBase(`: {x: ${'{a: '.repeat(N / 2)}1${'}'.repeat(N / 2)}}`)],
    ['block lists on one line', 'dashes.yaml', `${MINIMAL_PROFILE}listen:\n  ${'- '.repeat(N / 2)}a\n`],
  ])(
    '%s: validate refuses it before reading it, and exits 2',
    (_what, name, text) => expectRefusedBeforeRead(join(dir, name), text, TOO_DEEP),
    90_000,
  );

  it('a profile nested as deep as real ones (a few levels of flow maps) still loads', async () => {
    const file = join(dir, 'flow.yaml');
    writeFileSync(
      file,
      'version: 1\nbackends: {b: {url: "http://127.0.0.1:9", pool: {queue: 5}}}\nmodels: {m: {targets: [{backend: b}]}}\n',
    );
    const r = await runAigw(['validate', '-c', file]);
    expect(r.code, r.stderr).toBe(0);
  }, 30_000);
});
