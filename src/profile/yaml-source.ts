/**
 * YAML text → plain values, remembering where each key and value stood, and interpolating `${VAR}` and
 * `${VAR:-default}` from the environment on the way (so a missing variable is reported at its position).
 */
import { type Document, LineCounter, parseDocument, type Scalar } from 'yaml';
import { referable } from '../core/env-refs.js';
import { ownString } from '../core/own-string.js';
import { formatPath, type KeyPath } from './problems.js';
import { quoted } from './suggest.js';
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
  // The library's advice is to its caller ("please use YAML.parseAllDocuments()"): the user is told what to change.
  if (line.startsWith('Source contains multiple documents'))
    return 'a profile is one YAML document: this `---` begins a second one (remove it; several documents are read only as Kubernetes manifests with apiVersion and kind)';
  const cut = line.length > MAX_YAML_MESSAGE ? `${line.slice(0, MAX_YAML_MESSAGE)}…` : line;
  // Copied: a slice would keep the whole message (and the tag in it) alive behind the problem.
  return ownString(cut);
}

/**
 * Why a plain key that YAML reads as a number, a boolean or null cannot stand as a name: its text is not what was
 * written. `0012:` is the tenant `12`, a 21-digit ID (a JWT `sub` written as the tenant's name) loses its last digits,
 * `1e3:` is `1000`, `1.10:` is `1.1` — and the profile loaded with a name nobody wrote: a token naming tenant "0012", or
 * a client asking for model "1.10", was refused as unknown, with nothing said at validate. Refused where it is written
 * (quoted, it is the name as written); a key that reads back as written (`12:`, `true:`) stays.
 */
function notAsWritten(key: string, node: Scalar | null | undefined): string | undefined {
  const written = node?.source;
  if (!node || typeof node.value === 'string' || written === undefined || written === key) return undefined;
  const read =
    node.value === null ? 'null' : `${typeof node.value === 'object' ? 'the value' : `the ${typeof node.value}`} ${key.slice(0, 100)}`;
  return `this key, written ${quoted(written)}, is ${read} to YAML: quote it to keep the name as written`;
}

/** Where a `${` stands in text[from, to) (a stretch between references), or -1. */
const strayReference = (text: string, from: number, to: number): number => {
  const at = text.indexOf('${', from);
  return at >= 0 && at < to ? at : -1;
};

const VAR_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * `${…}` references one read may fill in, aliases' copies included. A profile has one a credential or a URL: tens of
 * thousands at most (an import of thousands of tenants). One value is one YAML token whatever it holds, so neither
 * the token budget nor the alias budget saw them: a 16 MiB value of `${U}` with U unset was four million matches
 * gathered and four million problems, and the reader — a serving gateway at its reload — died on a 512 MiB heap.
 */
export const MAX_VARIABLE_REFERENCES = 100_000;

/**
 * Characters the environment's values may add to one read. Each reference is a copy of its variable's value, and the
 * budgets count the text as written: a 4 KiB variable (a certificate or a service account's JSON held in the
 * environment) named 240,000 times in a 1.4 MB file was a gigabyte of strings. A profile's values from the environment
 * are keys and URLs, some hundred KiB in all; 16 Mi is the aliases' bound (yaml-aliases.ts).
 */
export const MAX_ENV_CHARS = 16 * 1024 * 1024;

/** A YAML text parsed once, to be read more than once: as written, and filled in from the environment. */
export interface ParsedYaml {
  doc: Document.Parsed;
  lines: LineCounter;
}

/** The parser's work, the dearest part of a read (seconds on a large profile): readYaml only walks what it made. */
export function parseYaml(text: string): ParsedYaml {
  const lines = new LineCounter();
  return { doc: parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false }), lines };
}

/**
 * `literal`: keep every scalar as written (`${VAR}` stays text) — the profile's values before interpolation. The
 * text, or what parseYaml made of it (a walk never changes the document: two reads can share it).
 */
export function readYaml(
  text: string | ParsedYaml,
  env: Readonly<Record<string, string | undefined>>,
  opts: { literal?: boolean } = {},
): YamlSource {
  const { doc, lines } = typeof text === 'string' ? parseYaml(text) : text;
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
    refuseKey: (key, node) => (key === '__proto__' ? 'the name __proto__ cannot be a key' : notAsWritten(key, node)),
  };

  let references = 0;
  let envChars = 0;
  /** Past a budget: said once, and nothing more is filled in (the read has failed). */
  let exhausted = false;
  const exhaust = (path: KeyPath, pos: Position, message: string): string => {
    if (!exhausted) src.problems.push({ path, pos, message });
    exhausted = true;
    return '';
  };
  /** One reference's text: the variable's value, its default, or nothing (and a problem). */
  const fill = (name: string, fallback: string | undefined, path: KeyPath, pos: Position, unset: Set<string>): string => {
    if (++references > MAX_VARIABLE_REFERENCES)
      return exhaust(path, pos, `more than ${MAX_VARIABLE_REFERENCES} \${…} references in all: too many to fill in safely`);
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
      // Counted before it is copied in; the value itself is never said (it may be a secret), only its name.
      if ((envChars += v.length) > MAX_ENV_CHARS)
        return exhaust(
          path,
          pos,
          `values from the environment add more than ${MAX_ENV_CHARS} characters in all (\${${name}} here; each ` +
            "reference copies its variable's value): reference long variables less often",
        );
      src.envValues.set(v, name);
      return v;
    }
    if (fallback !== undefined) return fallback;
    // An unset variable is said once per value, however often the value names it.
    if (unset.has(name)) return '';
    unset.add(name);
    src.problems.push({
      path,
      pos,
      message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)`,
    });
    return '';
  };
  /**
   * `${VAR}` and `${VAR:-default}`. The result is always a string, even when it is all digits (an API key
   * of digits must not become a number); numeric and boolean settings accept such strings themselves. Match by
   * match, stopping at the budget: String.replace with a global pattern gathers every match first (four million
   * references in one value exhausted a 512 MiB heap before the first was filled in).
   */
  const interpolate = (text: string, path: KeyPath, pos: Position): string => {
    src.fromEnv.add(formatPath(path));
    const unset = new Set<string>();
    const parts: string[] = [];
    let from = 0;
    // Searched up to the last `}` only (core/env-refs.ts): past it no reference can close, and each unclosed one ran to the end.
    const within = referable(text);
    VAR_RE.lastIndex = 0;
    let stray = -1;
    for (let m = VAR_RE.exec(within); m !== null && !exhausted; m = VAR_RE.exec(within)) {
      if (stray < 0) stray = strayReference(text, from, m.index);
      parts.push(text.slice(from, m.index), fill(m[1]!, m[2], path, pos, unset));
      from = VAR_RE.lastIndex;
    }
    if (exhausted) return '';
    if (stray < 0) stray = strayReference(text, from, text.length);
    // A `${` that begins no reference (`${ACME-KEY}`, `${X-default}`, `${ X }`, one never closed) was kept as
    // text: the literal `${ACME-KEY}` became the tenant's key, which anyone could send, with nothing said.
    // Only its place is said, never the text around it: the value may be a secret.
    if (stray >= 0)
      src.problems.push({
        path,
        pos,
        message:
          `the \${ at character ${stray + 1} of this value begins no variable reference: write \${NAME} or ` +
          '${NAME:-default}, NAME of letters, digits and _ not beginning with a digit',
      });
    parts.push(text.slice(from));
    return parts.join('');
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
