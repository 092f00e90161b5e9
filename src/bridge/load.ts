/**
 * One entry point for `-c FILE`: an aigw profile, or Envoy AI Gateway / Envoy Gateway / Gateway API
 * manifests (detected by `apiVersion`, imported), optionally with every backend mocked (`--mock-all`). It
 * returns profile/load.ts's LoadResult — problems and warnings at FILE:LINE:COL of what the user wrote, in
 * the manifests too — plus the objects the import skipped and the profile text that was loaded.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_PROFILE_TEXT_BYTES, readSmallFile } from '../core/small-file.js';
import { formatSize } from '../core/units.js';
import { yamlText } from '../core/yaml-text.js';
import { boundedProblems, parseProfile, type LoadResult } from '../profile/load.js';
import type { ProfileProblem } from '../profile/problems.js';
import { parseYaml, readYaml } from '../profile/yaml-source.js';
import { importEnvoy, type Skipped } from './envoy/import.js';
import { isManifestText, type SourcePos } from './envoy/manifests.js';
import { renderDocument } from './envoy/render-yaml.js';
import { mockAll } from './mock-all.js';
import { MAX_YAML_TOKENS, spendYamlTokens, yamlTooLarge } from '../profile/yaml-budget.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface BridgeOptions {
  mockAll?: boolean;
  /**
   * false: a profile's values as written (`raw`) are not read — one of a load's three parses of the text (a 600 KB
   * profile of list items loaded in 5.8–6.9 s instead of 8.8–9.9), for a caller that needs only the profile (a reload).
   */
  raw?: boolean;
  /**
   * A single profile file's bytes as the caller read them, parsed in place of reading the file again: `serve` compares
   * what it read with what it last applied, and a write between its read and the load's (a reload's thread takes a few
   * hundred ms to start) applied one text while another was remembered — written back to the remembered one, the file
   * was never loaded again, and the gateway served what the file no longer said.
   */
  bytes?: Uint8Array;
}

export type BridgeLoad = LoadResult & {
  source: 'profile' | 'manifests';
  /** Objects of the manifests that aigw does not read (always empty for a profile). */
  skipped: Skipped[];
  /** The profile text that was parsed (what `serve` can run); undefined when the input could not be read. */
  text?: string;
  /** The profile's values before `${VAR}` interpolation (export names Secrets' variables from it). */
  raw?: unknown;
};

/** Problems and warnings of a generated profile, moved to the position of what produced each key. */
function relocate(ps: readonly ProfileProblem[], origin: (path: string) => SourcePos | undefined, fallback: SourcePos): ProfileProblem[] {
  return ps.map((p) => {
    for (let path = p.path; ; ) {
      const at = origin(path);
      if (at) return { ...p, ...at };
      if (path === '') return { ...p, ...fallback };
      const parent = path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
      path = parent === path ? '' : parent;
    }
  });
}

const sortByPlace = (ps: ProfileProblem[]) => ps.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);

/** Comments that explain, in an imported profile, the choices that are not obvious. */
function importComments(raw: Record<string, unknown>): Record<string, string> {
  const rb = (raw.limits as { responseBuffer?: { maxBytes?: string } } | undefined)?.responseBuffer;
  return {
    'limits.responseBuffer':
      `The Gateway's effective bufferLimit (${rb?.maxBytes ?? ''}): Envoy AI Gateway holds every non-streamed answer in it. ` +
      'onOverflow: envoy fails as the cluster does: 500 text/plain "Internal Server Error".',
    'limits.maxRequestBytes': 'The same buffer holds request bodies: larger ones get 413.',
  };
}

export async function loadProfileOrManifests(
  files: string | readonly string[],
  env: Env = process.env,
  opts: BridgeOptions = {},
): Promise<BridgeLoad> {
  const inputs: { file: string; text: string }[] = [];
  let list: string[] = [];
  let tokensLeft = MAX_YAML_TOKENS;
  for (const file of typeof files === 'string' ? [files] : files) {
    try {
      // A directory stands for its YAML files (an example folder: base.yaml + backends.yaml).
      const isDir = (await stat(file)).isDirectory();
      const names = isDir ? (await readdir(file)).filter((n) => /\.ya?ml$/.test(n)).sort() : [''];
      for (const n of names) {
        const path = n ? join(file, n) : file;
        list = [...list, path];
        // Only a regular file, and bounded: a reload reads whatever the path is by then, and a FIFO there held the
        // reload (and every one after it, SIGHUP's included) waiting for a writer; /dev/zero grew without end.
        const read = opts.bytes && !isDir ? Buffer.from(opts.bytes) : await readSmallFile(path, MAX_PROFILE_TEXT_BYTES);
        if (!Buffer.isBuffer(read)) throw Object.assign(new Error(read.problem), { code: read.problem });
        const text = yamlText(read);
        if (typeof text !== 'string') {
          const problems: ProfileProblem[] = [
            { severity: 'error', file: path, line: text.line, col: text.col, path: '', message: text.message },
          ];
          return { ok: false, problems, source: 'profile', skipped: [] };
        }
        // Counted before anything is parsed: the parser's memory grows hundreds of times faster than the text.
        tokensLeft = spendYamlTokens(text, tokensLeft);
        if (tokensLeft < 0) throw new Error(yamlTooLarge(tokensLeft));
        inputs.push({ file: path, text });
      }
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      const problems: ProfileProblem[] = [
        { severity: 'error', file, line: 1, col: 1, path: '', message: `cannot read the profile: ${reason}` },
      ];
      return { ok: false, problems, source: 'profile', skipped: [] };
    }
  }
  const first = inputs[0];
  if (!first) {
    const file = typeof files === 'string' ? files : (files[0] ?? '-');
    return {
      ok: false,
      problems: [{ severity: 'error', file, line: 1, col: 1, path: '', message: 'no YAML files here' }],
      source: 'profile',
      skipped: [],
    };
  }
  if (inputs.length === 1 && !isManifestText(first.text)) return loadProfileText(first.file, first.text, env, opts);

  const imported = importEnvoy(inputs);
  // Bounded as a profile's are: a set of manifests is as large as a profile may be, and each object can say several.
  if (imported.problems.length)
    return { ok: false, problems: boundedProblems(imported.problems), source: 'manifests', skipped: imported.skipped };
  const raw = opts.mockAll ? mockAll(imported.profile) : imported.profile;
  const text = renderDocument(raw, importComments(imported.profile), `Imported by aigw from ${list.join(', ')}.`);
  const label = `${first.file} (imported)`;
  const r = parseProfile(text, label, env);
  const fallback = { file: first.file, line: 1, col: 1 };
  const origin = (p: string) => imported.origin.get(p);
  if (!r.ok)
    return {
      ok: false,
      problems: sortByPlace(relocate(r.problems, origin, fallback)),
      source: 'manifests',
      skipped: imported.skipped,
      text,
      raw,
    };
  const warnings = boundedProblems(sortByPlace([...imported.warnings, ...relocate(r.warnings, origin, fallback)]));
  return { ...r, warnings, source: 'manifests', skipped: imported.skipped, text, raw };
}

function loadProfileText(file: string, text: string, env: Env, opts: BridgeOptions): BridgeLoad {
  if (opts.raw === false && !opts.mockAll) return { ...parseProfile(text, file, env), source: 'profile', skipped: [], text };
  // The values as written (`${VAR}` as text), read as the profile loader reads them: aliases expanded within its limit.
  // The text is parsed once for both reads (the parser's is most of a read's time: seconds on a large profile).
  const parsed = parseYaml(text);
  const written = readYaml(parsed, {}, { literal: true });
  const readable = written.value !== undefined;
  if (!opts.mockAll || !readable) {
    return { ...parseProfile(parsed, file, env), source: 'profile', skipped: [], text, ...(readable ? { raw: written.value } : {}) };
  }
  const raw = mockAll(written.value);
  const generated = renderDocument(raw);
  const r = parseProfile(generated, file, env);
  // Positions of the file as written: every key --mock-all keeps stands where the user put it. The read as written has
  // them (where a key stands does not depend on what a value is filled in with): a second parse of the same text, one of
  // the load's three, took as long as the others (seconds for a large profile, at start and on a reload's thread).
  const origin = (p: string) => {
    const at = written.keyAt.get(p) ?? written.valueAt.get(p);
    return at ? { file, ...at } : undefined;
  };
  const fallback = { file, line: 1, col: 1 };
  if (!r.ok)
    return {
      ok: false,
      problems: sortByPlace(relocate(r.problems, origin, fallback)),
      source: 'profile',
      skipped: [],
      text: generated,
      raw,
    };
  return { ...r, warnings: sortByPlace(relocate(r.warnings, origin, fallback)), source: 'profile', skipped: [], text: generated, raw };
}

/** A one-line summary of what a load produced, for validate and import. */
export function summary(r: Extract<BridgeLoad, { ok: true }>): string {
  const p = r.profile;
  return (
    `${Object.keys(p.models).length} models, ${Object.keys(p.backends).length} backends, ${Object.keys(p.tenants ?? {}).length} tenants` +
    (p.limits.responseBuffer.mode === 'buffered' ? `, buffer ${formatSize(p.limits.responseBuffer.maxBytes)}` : '')
  );
}
