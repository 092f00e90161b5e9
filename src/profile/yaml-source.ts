/**
 * YAML text → plain values, remembering where each key and value stood, and interpolating `${VAR}` and
 * `${VAR:-default}` from the environment on the way (so a missing variable is reported at its position).
 */
import { LineCounter, parseDocument } from 'yaml';
import { ownString } from '../core/own-string.js';
import { formatPath, type KeyPath } from './problems.js';
import { type WalkHooks, walkDocument } from './yaml-walk.js';

export interface Position {
  line: number;
  col: number;
}

export interface SourceProblem {
  path: KeyPath;
  pos: Position;
  message: string;
}

export interface YamlSource {
  value: unknown;
  /** Where the value at a path starts. */
  valueAt: Map<string, Position>;
  /** Where the key of a path stands (the `targets:` of `models.x.targets`). */
  keyAt: Map<string, Position>;
  /** Paths whose string came (at least partly) from the environment. */
  fromEnv: Set<string>;
  /** The values read from the environment, and the variable each came from (for redaction in messages). */
  envValues: Map<string, string>;
  problems: SourceProblem[];
}

/** The most of a YAML library message a problem keeps (its own words are far shorter: what is past it is quoted text). */
const MAX_YAML_MESSAGE = 200;

/**
 * A YAML library message as a problem shows it: its first line, without the position (the problem has its own), and
 * cut. Some quote the text they refuse whole — `Could not resolve tag: !x!…` holds the whole tag, one token of any
 * length: an 8 MiB tag was an 8 MiB problem, on stderr and kept in a refused reload's event at every SIGHUP.
 */
export function yamlMessage(message: string): string {
  const line = message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+.*$/, '');
  const cut = line.length > MAX_YAML_MESSAGE ? `${line.slice(0, MAX_YAML_MESSAGE)}…` : line;
  // Copied: a slice would keep the whole message (and the tag in it) alive behind the problem.
  return ownString(cut);
}

const VAR_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * `literal`: keep every scalar as written (`${VAR}` stays text) — the profile's values before interpolation.
 */
export function readYaml(text: string, env: Readonly<Record<string, string | undefined>>, opts: { literal?: boolean } = {}): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const src: YamlSource = {
    value: undefined,
    valueAt: new Map(),
    keyAt: new Map(),
    fromEnv: new Set(),
    envValues: new Map(),
    problems: [],
  };
  const posOf = (offset: number | undefined): Position => {
    const p = lines.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };
  for (const e of [...doc.errors, ...doc.warnings]) src.problems.push({ path: [], pos: posOf(e.pos[0]), message: yamlMessage(e.message) });
  if (doc.errors.length) return src;

  const hooks: WalkHooks = {
    place: (kind, path, offset) => (kind === 'key' ? src.keyAt : src.valueAt).set(formatPath(path), posOf(offset)),
    scalar: (node, path) => {
      const v = node.value;
      if (!opts.literal && typeof v === 'string' && v.includes('${')) return interpolate(v, path, posOf(node.range?.[0]));
      return v;
    },
    problem: (offset, message, path) => src.problems.push({ path, pos: posOf(offset), message }),
    // No object keeps it as a name (a schema's record would turn it into a prototype, and the entry — a tenant,
    // say — would vanish without a word): refused where it is written.
    refuseKey: (key) => (key === '__proto__' ? 'the name __proto__ cannot be a key' : undefined),
  };

  /**
   * `${VAR}` and `${VAR:-default}`. The result is always a string, even when it is all digits (an API key
   * of digits must not become a number); numeric and boolean settings accept such strings themselves.
   */
  const interpolate = (text: string, path: KeyPath, pos: Position): string => {
    src.fromEnv.add(formatPath(path));
    return text.replace(VAR_RE, (_m, name: string, fallback: string | undefined) => {
      // `${A:-${B}}` would read as A's default `${B` and a stray `}`: a literal `${B}` sent as a key.
      if (fallback?.includes('${')) {
        src.problems.push({
          path,
          pos,
          message: `the default of \${${name}:-…} cannot hold another \${…}: nested variables are not expanded`,
        });
        return '';
      }
      const v = env[name];
      if (v !== undefined && v !== '') {
        src.envValues.set(v, name);
        return v;
      }
      if (fallback !== undefined) return fallback;
      src.problems.push({
        path,
        pos,
        message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)`,
      });
      return '';
    });
  };

  src.value = walkDocument(doc, hooks);
  return src;
}

/**
 * Where to point for a path: its key or its value (as asked), else the nearest ancestor that stands in the
 * file (a missing key is reported where its parent is), else the top of the file.
 */
export function positionOf(src: YamlSource, path: KeyPath, preferKey: boolean): Position {
  for (let p = path; ; p = p.slice(0, -1)) {
    const k = formatPath(p);
    const pos = preferKey ? (src.keyAt.get(k) ?? src.valueAt.get(k)) : (src.valueAt.get(k) ?? src.keyAt.get(k));
    if (pos) return pos;
    if (p.length === 0) return { line: 1, col: 1 };
  }
}
