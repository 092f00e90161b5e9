/** Loads a profile: YAML with positions → env interpolation → schema → cross-checks → a frozen Profile. */
import { dirname } from 'node:path';
import { deepFreeze } from '../core/freeze.js';
import { MAX_PROFILE_TEXT_BYTES, readSmallFile } from '../core/small-file.js';
import { yamlText } from '../core/yaml-text.js';
import { checkNotYetBuilt, checkReferences, checkWarnings, type Report } from './checks.js';
import { checkIdentity, resolveFilePaths } from './identity-checks.js';
import { checkProviders } from './provider-checks.js';
import { formatPath, type ProfileProblem } from './problems.js';
import { ProfileSchema, type Profile } from './schema.js';
import { rememberEnvValues } from './secrets.js';
import { MAX_YAML_TOKENS, spendYamlTokens, yamlTooLarge } from './yaml-budget.js';
import { type ParsedYaml, positionOf, readYaml, type YamlSource } from './yaml-source.js';
import { hiddenAs, valueAtPath, withoutValue, zodProblems } from './zod-problems.js';

export type LoadResult = { ok: true; profile: Profile; warnings: ProfileProblem[] } | { ok: false; problems: ProfileProblem[] };

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses profile text; `file` is only used in messages (the path as the user gave it). Never throws: a
 * reload of a hostile file is a list of problems like any other. No message shows a value read from the
 * environment (it may be a secret): such values are replaced by the variable's name.
 */
export function parseProfile(text: string | ParsedYaml, file: string, env: Env = process.env): LoadResult {
  let src: YamlSource | undefined;
  try {
    src = readYaml(text, env);
    return redacted(parseSource(src, file), src.envValues);
  } catch (e) {
    const message = `cannot read the profile: ${(e as Error)?.message ?? String(e)}`;
    const problem: ProfileProblem = { severity: 'error', file, line: 1, col: 1, path: '', message };
    return redacted({ ok: false, problems: [problem] }, src?.envValues ?? new Map());
  }
}

/**
 * Problems a result lists, at most: past this, one line says how many more. A 447 KB file with 30,000 unknown
 * names made 632 MB of messages, and a reload joining them passed V8's longest string and killed the gateway.
 */
export const MAX_PROBLEMS = 100;

/** A problem past MAX_PROBLEMS: sorted last, then counted by `boundedProblems`. */
const UNLISTED: ProfileProblem = { severity: 'error', file: '', line: Number.MAX_SAFE_INTEGER, col: 0, path: '', message: '' };

/** At most MAX_PROBLEMS problems, then one that counts the rest (a profile's, or a set of manifests'). */
export function boundedProblems(ps: ProfileProblem[]): ProfileProblem[] {
  if (ps.length <= MAX_PROBLEMS) return ps;
  const last = ps[MAX_PROBLEMS - 1]!;
  const more = ps.length - MAX_PROBLEMS;
  return [
    ...ps.slice(0, MAX_PROBLEMS),
    { ...last, path: '', message: `${more} more ${last.severity}s not shown (fix the ones above first)` },
  ];
}

function redacted(r0: LoadResult, envValues: ReadonlyMap<string, string>): LoadResult {
  const r: LoadResult = r0.ok ? { ...r0, warnings: boundedProblems(r0.warnings) } : { ok: false, problems: boundedProblems(r0.problems) };
  if (envValues.size === 0) return r;
  // Longest first: a value that begins another would otherwise be replaced inside it, showing the rest.
  const values = [...envValues].sort((a, b) => b[0].length - a[0].length);
  const hide = (message: string): string => {
    let out = message;
    for (const [value, name] of values) {
      const named = `(the value of $${name})`;
      const json = JSON.stringify(value);
      out = out.split(json).join(named);
      // As it appears inside a longer quoted string: escaped.
      const escaped = json.slice(1, -1);
      if (escaped !== value && escaped.length >= 4) out = out.split(escaped).join(named);
      if (value.length >= 4) out = out.split(value).join(named);
    }
    return out;
  };
  const fix = (ps: ProfileProblem[]) => ps.map((p) => ({ ...p, message: hide(p.message) }));
  if (!r.ok) return { ok: false, problems: fix(r.problems) };
  rememberEnvValues(r.profile, [...envValues.keys()]);
  return { ...r, warnings: fix(r.warnings) };
}

function parseSource(src: YamlSource, file: string): LoadResult {
  const problems: ProfileProblem[] = src.problems.map((p) => ({
    severity: 'error',
    file,
    ...p.pos,
    path: formatPath(p.path),
    message: p.message,
  }));
  if (problems.length && src.value === undefined) return { ok: false, problems };
  if (src.value === null || typeof src.value !== 'object' || Array.isArray(src.value)) {
    problems.push({ severity: 'error', file, line: 1, col: 1, path: '', message: 'expected a mapping with version, backends and models' });
    return { ok: false, problems };
  }
  const parsed = ProfileSchema.safeParse(src.value);
  if (!parsed.success) {
    // A value already reported (a missing variable) is not reported again by the schema.
    const reported = new Set(problems.map((p) => p.path));
    const schemaProblems = zodProblems(parsed.error, ProfileSchema, src, file).filter((p) => !reported.has(p.path));
    return { ok: false, problems: sortProblems([...problems, ...schemaProblems]) };
  }
  const warnings: ProfileProblem[] = [];
  const report: Report = (severity, path, message, preferKey = false) => {
    const list = severity === 'error' ? problems : warnings;
    // Past the bound, only counted: not placed, not worded (a suggestion scans every known name).
    if (list.length >= MAX_PROBLEMS) return void list.push(UNLISTED);
    const pos = positionOf(src, path, preferKey);
    const worded = typeof message === 'string' ? message : message();
    // A check quotes the value it refuses (cut, as a name is): one that may be a secret is named instead.
    const hidden = hiddenAs(src.fromEnv, path);
    const value = hidden === undefined ? undefined : valueAtPath(src.value, path);
    const text = typeof value === 'string' ? withoutValue(worded, value, hidden) : worded;
    list.push({ severity, file, line: pos.line, col: pos.col, path: formatPath(path), message: text });
  };
  checkReferences(parsed.data, report);
  checkProviders(parsed.data, src.value, report);
  checkNotYetBuilt(parsed.data, report);
  // Files named in the profile are relative to the profile's own directory.
  const baseDir = dirname(file);
  checkIdentity(parsed.data, baseDir, report);
  if (problems.length) return { ok: false, problems: sortProblems(problems) };
  checkWarnings(parsed.data, src.value, src.fromEnv, report);
  resolveFilePaths(parsed.data, baseDir);
  return { ok: true, profile: deepFreeze(parsed.data), warnings: sortProblems(warnings) };
}

export async function loadProfileFile(file: string, env: Env = process.env): Promise<LoadResult> {
  // Only a regular file, and bounded (core/small-file.ts): a FIFO at the path held `aigw mock-backends -c` waiting for
  // a writer, before its first line.
  const read = await readSmallFile(file, MAX_PROFILE_TEXT_BYTES);
  if (!Buffer.isBuffer(read)) {
    const reason = read.problem === 'ENOENT' ? 'no such file' : read.problem;
    return { ok: false, problems: [{ severity: 'error', file, line: 1, col: 1, path: '', message: `cannot read the profile: ${reason}` }] };
  }
  const text = yamlText(read);
  if (typeof text !== 'string')
    return { ok: false, problems: [{ severity: 'error', file, line: text.line, col: text.col, path: '', message: text.message }] };
  const left = spendYamlTokens(text, MAX_YAML_TOKENS);
  if (left < 0)
    return {
      ok: false,
      problems: [{ severity: 'error', file, line: 1, col: 1, path: '', message: `cannot read the profile: ${yamlTooLarge(left)}` }],
    };
  return parseProfile(text, file, env);
}

function sortProblems(ps: ProfileProblem[]): ProfileProblem[] {
  return ps.sort((a, b) => a.line - b.line || a.col - b.col);
}
