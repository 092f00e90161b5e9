/** zod issues → profile problems with positions, plain-English expectations and "did you mean". */
import type { z } from 'zod';
import { didYouMean, quoted } from './suggest.js';
import { formatPath, type KeyPath, type ProfileProblem } from './problems.js';
import { mayHoldSecret } from './secrets.js';
import { positionOf, type YamlSource } from './yaml-source.js';

type AnySchema = z.ZodType;

/** The keys an object schema at `path` accepts (walking wrappers, records and arrays). */
export function keysAt(schema: AnySchema, path: KeyPath): string[] {
  let s: AnySchema | undefined = schema;
  for (let i = 0; i <= path.length && s; ) {
    const def: Record<string, unknown> = (s as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
        s = def.innerType as AnySchema;
        continue;
      case 'pipe':
        s = def.in as AnySchema;
        continue;
      case 'object':
        if (i === path.length) return Object.keys(def.shape as object);
        s = (def.shape as Record<string, AnySchema>)[String(path[i])];
        i++;
        continue;
      case 'record':
        s = def.valueType as AnySchema;
        i++;
        continue;
      case 'array':
        s = def.element as AnySchema;
        i++;
        continue;
      default:
        return [];
    }
  }
  return [];
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  // JSON.stringify writes both as `null`: `.nan` and `1e400` read "got number null".
  if (typeof v === 'number' && !Number.isFinite(v)) return `${v} (not a finite number)`;
  // Cut as names are: a refused reload's event and log line quoted an 8 MiB value whole, at every SIGHUP.
  return `${typeof v} ${typeof v === 'string' ? quoted(v) : JSON.stringify(v)}`;
}

export const FROM_ENVIRONMENT = '(a value from the environment)';
export const NOT_SHOWN = '(not shown: it may be a secret)';

/**
 * How a problem may show the string at `path`: `undefined` when it may be shown, else the words that stand for it —
 * a value from the environment may hold a secret, in part, and so may any value where a profile keeps credentials.
 */
export function hiddenAs(fromEnv: ReadonlySet<string>, path: KeyPath): string | undefined {
  if (fromEnv.has(formatPath(path))) return FROM_ENVIRONMENT;
  return mayHoldSecret(path) ? NOT_SHOWN : undefined;
}

/** `message` with `value` (quoted as a name, JSON-quoted, or as written) replaced by `named`. */
export function withoutValue(message: string, value: string, named = FROM_ENVIRONMENT): string {
  let out = message;
  // Lowercased too: the schema lowercases some values (a header name) before a check quotes them.
  const lower = value.toLowerCase();
  for (const v of lower === value ? [value] : [value, lower]) {
    // As a message quotes a name (cut after 100 characters), then quoted whole, then as written.
    out = out.split(quoted(v)).join(named).split(JSON.stringify(v)).join(named);
    // Shorter, as written it could be any word's letters: the quoted forms above are how messages show it.
    if (v.length >= 4) out = out.split(v).join(named);
  }
  return out;
}

/** `message` with `value`, where it quotes it whole (JSON-quoted), quoted as a name instead: cut after 100 characters. */
function cutQuoted(message: string, value: unknown): string {
  if (typeof value !== 'string' || value.length <= 100) return message;
  return message.split(JSON.stringify(value)).join(quoted(value));
}

export function valueAtPath(root: unknown, path: KeyPath): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

const KIND_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

export function zodProblems(error: z.ZodError, schema: AnySchema, src: YamlSource, file: string): ProfileProblem[] {
  const out: ProfileProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path as KeyPath;
    const push = (p: KeyPath, message: string, preferKey = false) => {
      const pos = positionOf(src, p, preferKey);
      out.push({ severity: 'error', file, line: pos.line, col: pos.col, path: formatPath(p), message });
    };
    const actual = valueAtPath(src.value, path);
    // A value built from the environment, or one where credentials go (a key written as digits too): named, never shown.
    const scalar = typeof actual === 'string' || typeof actual === 'number' || typeof actual === 'bigint';
    const hidden = scalar ? hiddenAs(src.fromEnv, path) : undefined;
    const secret = hidden !== undefined;
    const kind = typeof actual === 'string' ? 'a string' : 'a number';
    const got = hidden === FROM_ENVIRONMENT ? `${kind} from the environment` : secret ? `${kind} ${NOT_SHOWN}` : describe(actual);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = keysAt(schema, path);
        for (const key of issue.keys) {
          push([...path, key], `unknown key ${quoted(key)}${didYouMean(key, known)}; expected one of: ${known.join(', ')}`, true);
        }
        break;
      }
      case 'invalid_type': {
        const expected = KIND_NAMES[issue.expected] ?? issue.expected;
        if (actual === undefined) push(path, `missing required key "${String(path.at(-1))}" (expected ${expected})`, true);
        else push(path, `expected ${expected}, got ${got}`);
        break;
      }
      case 'invalid_value': {
        const values = issue.values.map((v) => JSON.stringify(v));
        // A number or boolean written quoted (`version: "1"`) was told `(did you mean "1"?)` — the text it already is.
        const unquoted = typeof actual === 'string' ? issue.values.findIndex((v) => typeof v !== 'string' && String(v) === actual) : -1;
        const hint =
          unquoted >= 0
            ? ` (write it without quotes: ${String(issue.values[unquoted])})`
            : typeof actual === 'string' && !secret
              ? didYouMean(actual, issue.values.map(String))
              : '';
        push(path, `expected ${values.length > 1 ? `one of ${values.join(', ')}` : values[0]}, got ${got}${hint}`);
        break;
      }
      case 'invalid_union': {
        push(path, `expected a string or a number, got ${got}`);
        break;
      }
      case 'invalid_key': {
        push(path, `invalid name: ${issue.issues[0]?.message ?? issue.message}`, true);
        break;
      }
      default:
        // A refinement's own message may quote the value (a duration, a URL): not one from the environment, and
        // cut as describe() cuts it.
        push(path, secret ? withoutValue(issue.message, String(actual), hidden) : cutQuoted(issue.message, actual));
    }
  }
  return out;
}
