/** docs/ stays true: every test the case index names exists and mentions its case; docs cited in src exist. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const index = readFileSync('docs/reliability.md', 'utf8');
const rows = [...index.matchAll(/^\| (trust \d+|\d+) \| .* \| (\S+) \|$/gm)].map((m) => ({ id: m[1]!, file: m[2]! }));

describe('the reliability case index', () => {
  it('covers cases 1–52 and trust classes 1–13', () => {
    const ids = new Set(rows.map((r) => r.id));
    for (let n = 1; n <= 52; n++) expect(ids.has(String(n)), `case ${n}`).toBe(true);
    for (let n = 1; n <= 13; n++) expect(ids.has(`trust ${n}`), `trust ${n}`).toBe(true);
  });

  it.each(rows.filter((r) => !r.id.startsWith('trust')))('case $id is in $file', ({ id, file }) => {
    expect(existsSync(file), file).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`[Cc]ases? [0-9, ]*\\b${id}\\b`));
  });
});

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (/\.tsx?$/.test(name)) yield p;
  }
}

describe('the repo points inside itself', () => {
  it('cites only docs that exist, and never ../shared', () => {
    for (const file of sources('src')) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toContain('../shared');
      for (const m of text.matchAll(/docs\/([\w-]+\.md)/g)) expect(existsSync(`docs/${m[1]}`), `${file} cites docs/${m[1]}`).toBe(true);
    }
  });
});
