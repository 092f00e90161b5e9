/**
 * A profile whose bytes are not UTF-8 (CLI review): saved as Latin-1 or a Windows code page, each such byte was read
 * as U+FFFD without a word — a target's `model: modèle` went upstream as "mod\uFFFDle", a name no backend knows, and
 * validate, serve and mock-backends said "ok" (a header value or key was refused as holding a character beyond
 * ASCII or Latin-1 — which it did not). Now the file is refused at the first such byte, its line and column, saying
 * to save it as UTF-8.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfileOrManifests } from '../../../src/bridge/load.js';
import { loadProfileFile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-not-utf8-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = (model: string) => `version: 1
backends:
  a: { url: "http://127.0.0.1:8001", headers: { x-note: "\u00e9" } } # \uFFFD marks an unknown character
models:
  m: { targets: [{ backend: a, model: "${model}" }] }
`;

const file = (name: string, bytes: Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

// Latin-1: "modèle" is 6D 6F 64 E8 6C 65. The é and U+FFFD written earlier in the file are UTF-8 (C3 A9, EF BF BD).
const [head, tail] = text('mod\u0000le').split('\u0000') as [string, string];
const latin1 = Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from([0xe8]), Buffer.from(tail, 'utf8')]);
const col = head.length - head.lastIndexOf('\n');

describe('a profile that is not UTF-8', () => {
  for (const [name, load] of [
    ['validate and serve (profile or manifests)', loadProfileOrManifests],
    ['mock-backends', loadProfileFile],
  ] as const) {
    it(`is refused at its first bad byte: ${name}`, async () => {
      const path = file(`latin1-${name.length}.yaml`, latin1);
      const r = await load(path, {});
      expect(r.ok).toBe(false);
      expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([
        `${path}:5:${col}: error: not UTF-8: byte 0xE8 here (a file saved as Latin-1 or a Windows code page?): save it as UTF-8`,
      ]);
    });
  }

  it('UTF-8 (a U+FFFD of its own, a BOM) and UTF-16 with its BOM still load', async () => {
    const utf8 = Buffer.from(text('mod\u00e8le'), 'utf8');
    for (const bytes of [utf8, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8])]) {
      const r = await loadProfileOrManifests(file('utf8.yaml', bytes), {});
      expect(r.ok && r.profile.models.m?.targets[0]?.model).toBe('mod\u00e8le');
      const m = await loadProfileFile(file('utf8.yaml', bytes), {});
      expect(m.ok && m.profile.backends.a?.headers).toEqual({ 'x-note': '\u00e9' });
    }
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text('mod\u00e8le'), 'utf16le')]);
    const r = await loadProfileOrManifests(file('utf16.yaml', utf16), {});
    expect(r.ok && r.profile.models.m?.targets[0]?.model).toBe('mod\u00e8le');
    // mock-backends reads it as validate does (it read UTF-16 as UTF-8: "expected a mapping").
    const m = await loadProfileFile(file('utf16.yaml', utf16), {});
    expect(m.ok && m.profile.models.m?.targets[0]?.model).toBe('mod\u00e8le');
  });
});
