/**
 * `aigw export envoy -o DIR` writes one file per kind (gateway.yaml, secret.yaml, backend.yaml, …) and replaced a file
 * of that name whoever wrote it: `-o .` beside a profile named gateway.yaml replaced the profile with the Gateway
 * object, and a hand-kept secret.yaml lost its real keys to placeholders. A file that does not begin with the line
 * every export writes is the user's: refused, before any file is written; an earlier export's is replaced as before.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/cli/export.js';

const opts = (output: string) => ({ config: 'profiles/demo.yaml', output, namespace: 'default', gateway: 'aigw' });

describe('export -o DIR and the files already there', () => {
  it("a profile named gateway.yaml in DIR: refused, naming it; it and the directory's other files are untouched", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-export-own-'));
    const mine = 'version: 1\n# my profile\n';
    writeFileSync(join(dir, 'gateway.yaml'), mine);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(run(opts(dir))).rejects.toThrow(/gateway\.yaml is not an earlier export's .*not overwritten/);
    } finally {
      err.mockRestore();
    }
    expect(readFileSync(join(dir, 'gateway.yaml'), 'utf8')).toBe(mine);
    expect(readdirSync(dir)).toEqual(['gateway.yaml']);
  });

  it("an earlier export's files: replaced", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-export-own-'));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await run(opts(dir))).toBe(0);
      expect(await run(opts(dir))).toBe(0);
    } finally {
      err.mockRestore();
    }
    expect(readFileSync(join(dir, 'gateway.yaml'), 'utf8')).toMatch(/^# Written by `aigw export envoy -o`/);
  });
});
