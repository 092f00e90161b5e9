#!/usr/bin/env node
/**
 * The layering rule of docs/architecture.md, checked: an import in src/ points down the list of layers or
 * stays in its own folder; never sideways, never up, and no cycle between folders. mock, bench and tui are
 * strangers that may import only the leaves named for them. Exits 1 and names every offending import.
 * `npm test` runs it; test/unit/layers.test.ts proves it catches a planted upward import.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Lowest first: a folder may import the folders of any lower layer, none of its own layer or above. */
export const LAYERS = [
  ['core'],
  ['openai', 'anthropic', 'events'],
  ['profile'],
  ['upstream'],
  ['translate', 'auth', 'bridge'],
  ['routing', 'relay', 'tenants', 'observe'],
  ['gateway'],
  ['cli'],
];

/** Strangers talk to the gateway over HTTP; they may import only these (folders, or single files). */
export const STRANGERS = {
  mock: ['core', 'openai', 'anthropic'],
  tui: ['core', 'openai', 'events'],
  bench: ['core', 'openai', 'anthropic', 'events', 'profile', 'bridge', 'mock/text.ts'],
};

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i])));

/** Why `from` (a src-relative file) may not import `to` (a src-relative file), or undefined when it may. */
export function violation(from, to) {
  const a = from.split('/')[0];
  const b = to.split('/')[0];
  if (a === b || !to.includes('/')) return undefined;
  if (a === 'cli') return undefined;
  const allowed = STRANGERS[a];
  if (allowed) {
    return allowed.some((x) => x === b || x === to) ? undefined : `${a}/ is a stranger: it may import only ${allowed.join(', ')}`;
  }
  if (STRANGERS[b]) return `${b}/ is a stranger (it talks to the gateway over HTTP): ${a}/ may not import it`;
  const ra = rank.get(a);
  const rb = rank.get(b);
  if (ra === undefined) return `${a}/ is not in the layer list (scripts/check-layers.mjs)`;
  if (rb === undefined) return `${b}/ is not in the layer list (scripts/check-layers.mjs)`;
  if (rb === ra) return `sideways: ${a}/ and ${b}/ are the same layer`;
  if (rb > ra) return `upward: ${b}/ is above ${a}/`;
  return undefined;
}

const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

/** The relative imports of one file's text, resolved to src-relative paths (`.js` → `.ts`). */
export function importsOf(file, text) {
  const out = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec?.startsWith('.')) continue;
    out.push(join(dirname(file), spec).replace(/\.js$/, '.ts'));
  }
  return out;
}

/** Every violation in a set of src-relative files and their texts, plus any cycle between folders. */
export function checkLayers(files) {
  const problems = [];
  const edges = new Map();
  for (const [file, text] of files) {
    for (const to of importsOf(file, text)) {
      if (to.startsWith('..')) {
        problems.push(`${file}: imports ${to}, outside src/`);
        continue;
      }
      const why = violation(file, to);
      if (why) problems.push(`${file}: imports ${to}: ${why}`);
      const a = file.split('/')[0];
      const b = to.split('/')[0];
      if (a !== b && to.includes('/')) {
        if (!edges.has(a)) edges.set(a, new Set());
        edges.get(a).add(b);
      }
    }
  }
  problems.push(...folderCycles(edges));
  return problems;
}

function folderCycles(edges) {
  const out = [];
  const state = new Map();
  const visit = (n, path) => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'open') {
      out.push(`import cycle between folders: ${[...path.slice(path.indexOf(n)), n].join(' → ')}`);
      return;
    }
    state.set(n, 'open');
    for (const m of edges.get(n) ?? []) visit(m, [...path, n]);
    state.set(n, 'done');
  };
  for (const n of edges.keys()) visit(n, []);
  return out;
}

function walk(dir, root, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, root, out);
    else if (/\.tsx?$/.test(name)) out.set(relative(root, p).replace(/\.tsx$/, '.ts'), readFileSync(p, 'utf8'));
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
  const problems = checkLayers(walk(src, src, new Map()));
  for (const p of problems) process.stderr.write(`layers: ${p}\n`);
  if (problems.length) {
    process.stderr.write(`layers: ${problems.length} violation(s) of the layering rule (docs/architecture.md)\n`);
    process.exit(1);
  }
  process.stdout.write('layers: ok\n');
}
