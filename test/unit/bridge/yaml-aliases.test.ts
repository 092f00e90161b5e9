/**
 * Aliases in what `-c` and `import envoy` read: an alias copies its anchor, so nested aliases multiply and an
 * alias inside its own anchor never ends. Both are one problem at the alias, found in bounded time; reusing
 * an anchor, as profiles legitimately do, keeps working.
 */
import { describe, expect, it } from 'vitest';
import { loadProfileOrManifests } from '../../../src/bridge/load.js';
import { importEnvoy } from '../../../src/bridge/envoy/import.js';
import { isManifestText, readManifests } from '../../../src/bridge/envoy/manifests.js';
import { readYaml } from '../../../src/profile/yaml-source.js';
import { formatProblem } from '../../../src/profile/problems.js';
import { aliasBomb, BASE, docs, imported, write } from './manifests.js';

const problemsOf = async (file: string, mockAll = false) => {
  const started = Date.now();
  const r = await loadProfileOrManifests(file, {}, { mockAll });
  return { r, ms: Date.now() - started, said: r.ok ? '' : r.problems.map(formatProblem).join('\n') };
};

describe('an alias bomb', () => {
  it('among manifests: one problem at the alias that crosses the limit, in bounded time', async () => {
    const file = write('bomb.yaml', docs(BASE, aliasBomb(6)));
    const { r, ms, said } = await problemsOf(file);
    expect(r.ok).toBe(false);
    expect(said).toMatch(/bomb.yaml:\d+:\d+: error: aliases expand to more than 100000 values \(at \*a\d/);
    expect(ms).toBeLessThan(2000);
  });

  it('through a merge key (<<): the same problem, in bounded time', async () => {
    const file = write('bomb-merge.yaml', docs(BASE, `${aliasBomb(6)}  m: {<<: {z: *a5}}\n`));
    const { r, ms, said } = await problemsOf(file);
    expect(r.ok).toBe(false);
    expect(said).toMatch(/bomb-merge.yaml:\d+:\d+: error: aliases expand to more than 100000 values/);
    expect(ms).toBeLessThan(2000);
  });

  it('as the first document (where manifests are told from profiles): the same problem, never a crash', async () => {
    const file = write('bomb-first.yaml', docs(aliasBomb(6), BASE));
    const { r, said } = await problemsOf(file);
    expect(r.source).toBe('manifests');
    expect(said).toMatch(/bomb-first.yaml:\d+:\d+: error: aliases expand to more than/);
  });

  it('in a profile: the same problem, with or without --mock-all', async () => {
    const text = `version: 1\nbackends:\n  b1: {url: "http://127.0.0.1:9"}\nmodels:\n  m: {targets: [{backend: b1}]}\nx:\n${aliasBomb(6)
      .split('\n')
      .slice(4)
      .map((l) => `  ${l}`)
      .join('\n')}`;
    const file = write('bomb-profile.yaml', text);
    for (const mockAll of [false, true]) {
      const { r, said } = await problemsOf(file, mockAll);
      expect(r.ok).toBe(false);
      expect(said).toMatch(/bomb-profile.yaml:\d+:\d+: error: aliases expand to more than 100000 values/);
    }
  });
});

describe('many small bombs', () => {
  it('share one budget across the documents of a file (5,000 of them, each under it, had exhausted the heap)', () => {
    // Each document adds ~11,000 values through aliases, under the limit alone; twenty of them are not.
    const text = Array.from({ length: 20 }, (_, i) => aliasBomb(4).replace('name: x', `name: x${i}`)).join('---\n');
    const r = readManifests(text, 'bombs.yaml');
    // Once it is spent, each later document that expands an alias says so.
    expect(r.problems.length).toBeGreaterThan(0);
    for (const p of r.problems) expect(p.message).toMatch(/^aliases expand to more than 100000 values/);
    // One document alone is read whole.
    expect(readManifests(aliasBomb(4), 'one.yaml').problems).toEqual([]);
  });

  it('share one budget across the files of one import (a directory of 600 such files aborted on the heap)', () => {
    const inputs = Array.from({ length: 20 }, (_, i) => ({ file: `f${i}.yaml`, text: aliasBomb(4).replace('name: x', `name: x${i}`) }));
    const r = importEnvoy(inputs);
    expect(r.problems.length).toBeGreaterThan(0);
    for (const p of r.problems) expect(p.message).toMatch(/^aliases expand to more than 100000 values/);
  });
});

describe('aliases of one long value', () => {
  // Counted as values, a 1 MiB string aliased a thousand times passed as a thousand; each copy then cost 1 MiB
  // wherever a string operation met it. The characters aliases copy are counted too (16 Mi per load).
  const big = 'a'.repeat(1 << 20);
  const manyAliases = (alias: string) => Array.from({ length: 20 }, () => alias).join('\n');

  it.each([
    [
      'as names among manifests',
      `apiVersion: v1\nkind: List\nitems:\n- {kind: ConfigMap, metadata: {name: &n ${big}}}\n${manyAliases('- {kind: ConfigMap, metadata: {name: *n}}')}\n`,
    ],
    [
      'as map keys',
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {k: &n ${big}}}\ndata:\n${manyAliases('  - {*n : 1}')}\n`,
    ],
  ])('%s: one problem at the alias that crosses 16 Mi characters', (_name, text) => {
    const r = readManifests(text, 'x.yaml');
    expect(r.problems.map((p) => `${p.pos.line}: ${p.message}`)).toEqual([
      expect.stringMatching(/^\d+: aliases expand to more than 16777216 characters \(at \*n; each alias of a long value copies it\)/),
    ]);
    expect(r.problems[0]!.pos.line).toBe(21);
  });

  it("as the literal key of a map that aliases copy (each copy's key is a copy too)", () => {
    const text = `version: 1\nx: &h { ? "${big}" : v }\ny:\n${manyAliases('  - *h')}\n`;
    const r = readYaml(text, {});
    expect(r.value).toBeUndefined();
    expect(r.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^aliases expand to more than 16777216 characters \(at \*h;/)]);
  });

  it('in a profile, before `${VAR:-d}` is filled into each copy', () => {
    const text = `version: 1\nx: &s "${big}\${X:-d}"\ny:\n${manyAliases('  - *s')}\n`;
    const r = readYaml(text, {});
    expect(r.value).toBeUndefined();
    expect(r.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^aliases expand to more than 16777216 characters \(at \*s;/)]);
  });

  it('a value of 1 KiB reused in a thousand places reads whole (1 Mi characters)', () => {
    const text = `version: 1\nx: &s ${'a'.repeat(1024)}\ny:\n${Array.from({ length: 1000 }, () => '  - *s').join('\n')}\n`;
    const r = readYaml(text, {});
    expect(r.problems).toEqual([]);
    expect((r.value as { y: string[] }).y).toHaveLength(1000);
  });
});

describe('an alias inside the value it names', () => {
  it.each([
    ['a ConfigMap among manifests', docs(BASE, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: &x {a: *x}\n')],
    ['the only document', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: &x {a: [1, *x]}\n'],
    ['a profile', 'version: 1\nbackends: &x\n  b1: {url: "http://127.0.0.1:9", more: *x}\nmodels: {}\n'],
  ])('%s: one problem at the alias', async (_name, text) => {
    const file = write('cycle.yaml', text);
    const { r, said } = await problemsOf(file);
    expect(r.ok).toBe(false);
    expect(said).toMatch(/cycle.yaml:\d+:\d+: error: alias \*x is inside the value it names/);
  });

  it('the importer says so too, as a problem rather than an exception', () => {
    const r = imported(docs(BASE, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: &x {a: *x}\n'));
    expect(r.problems.map((p) => p.message)).toEqual(['alias *x is inside the value it names: it would never end']);
  });
});

describe('reusing an anchor', () => {
  const models = Array.from({ length: 150 }, (_, i) => `  m${i}: {targets: ${i === 0 ? '&t [{backend: b1, weight: 1}]' : '*t'}}`);
  const text = `version: 1\nbackends:\n  b1: {url: "http://127.0.0.1:9"}\nmodels:\n${models.join('\n')}\n`;

  it('150 models sharing one target list: validate accepts it, with or without --mock-all', async () => {
    const file = write('reuse.yaml', text);
    for (const mockAll of [false, true]) {
      const { r, said } = await problemsOf(file, mockAll);
      expect(r.ok, said).toBe(true);
      if (r.ok) expect(Object.keys(r.profile.models)).toHaveLength(150);
    }
  });

  it('in manifests: each alias is its anchor', () => {
    const r = imported(
      BASE.replace('backendRefs: [{name: b1}]', 'backendRefs: &refs [{name: b1}]').replace(
        '      backendRefs: &refs [{name: b1}]',
        '      backendRefs: &refs [{name: b1}]\n    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m2}]}]\n      backendRefs: *refs',
      ),
    );
    expect(r.problems).toEqual([]);
    expect(Object.keys(r.profile.models as object)).toEqual(['m1', 'm2']);
  });
});

describe('large inputs read in time proportional to their size', () => {
  // Both were quadratic: the library resolves an alias by visiting the whole document (20,000 aliases: 151 s
  // through the CLI) and checks a key against every earlier one of its map (40,000 keys: 23 s, so 80,000 ~90 s).
  // Linear, 20,000 aliases read in under a second here, and 80,000 keys in 8.3 s at a load average of 6 (2026-12-07,
  // 2 cores): their bounds sit between the linear time of a loaded machine and the quadratic.
  it('20,000 aliases of one anchor', () => {
    const text = `${BASE.trimEnd()}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: &a {x: y}}\ndata:\n  list:\n${'    - *a\n'.repeat(20_000)}`;
    const started = Date.now();
    const r = readManifests(text, 'x.yaml');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.problems).toEqual([]);
    const config = r.manifests.find((m) => m.kind === 'ConfigMap')!;
    expect((config.value.data as { list: unknown[] }).list).toHaveLength(20_000);
  });

  it('80,000 keys in one map, and a repeated key still found', () => {
    const keys = Array.from({ length: 80_000 }, (_, i) => `  k${i}: v\n`).join('');
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n${keys}  k7: again\n`;
    const started = Date.now();
    expect(isManifestText(text)).toBe(true);
    const r = readManifests(text, 'x.yaml');
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(r.problems.map((p) => `${p.pos.line}: ${p.message}`)).toEqual(['80005: Map keys must be unique']);
  }, 90_000);

  it('an alias names the latest anchor of its name before it, even after that anchor was copied', () => {
    const r = readYaml('a: &x 1\nb: &y [&x 2]\ne: &x 3\nf: *y\ng: *x\n', {});
    expect(r.value).toEqual({ a: 1, b: [2], e: 3, f: [2], g: 3 });
  });
});

describe('an alias as a map key', () => {
  it('of a scalar is its value, as YAML means it (it was the text "*name")', () => {
    const r = readYaml('name: &n model-a\nmodels:\n  *n : {x: 1}\n', {});
    expect(r.problems).toEqual([]);
    expect(r.value).toEqual({ name: 'model-a', models: { 'model-a': { x: 1 } } });
  });

  it('of a map or a list, or a map or a list itself, is a problem at the key (it was its YAML text)', () => {
    for (const text of ['list: &l [a, b]\nm:\n  *l : 1\n', 'm:\n  ? [a, b]\n  : 1\n', 'm:\n  ? {a: 1}\n  : 1\n']) {
      const r = readYaml(text, {});
      expect(r.value, text).toBeUndefined();
      expect(
        r.problems.map((p) => `${p.pos.line}: ${p.message}`),
        text,
      ).toEqual([expect.stringMatching(/^[23]: a key must be a plain value \(text or a number\), not a map or a list$/)]);
    }
  });
});
