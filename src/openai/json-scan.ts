/**
 * One pass over a JSON request body that JSON.parse cannot give us: nesting depth (checked before parsing,
 * so 100k-deep input is refused cheaply) and where each top-level key's value lies in the text, so that
 * `model` can be replaced without re-serialising — every other byte goes upstream as the client sent it.
 * Keys are decoded exactly as JSON.parse decodes them (`"m\u006fdel"` is `model`), and a key that repeats
 * after decoding is refused: otherwise the gateway could route and check one value while the backend,
 * reading the last, serves another.
 */

export interface TopLevelSpan {
  /** Offset of the value's first character. */
  start: number;
  /** Offset just past the value. */
  end: number;
}

export type ScanResult =
  | { ok: true; spans: Map<string, TopLevelSpan> }
  | { ok: false; reason: 'too_deep' | 'not_object' | 'unterminated' | 'bad_key' }
  | { ok: false; reason: 'repeated_key'; key: string };

export function scanTopLevel(text: string, maxDepth: number): ScanResult {
  const spans = new Map<string, TopLevelSpan>();
  let depth = 0;
  let key: string | undefined;
  let expectKey = false;
  let valueStart = -1;
  let first = true;
  // Structural characters are found with a plain loop (no match objects); string contents are skipped with
  // indexOf, so most of a body's bytes are passed over natively.
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x22 && c !== 0x7b && c !== 0x7d && c !== 0x5b && c !== 0x5d && c !== 0x2c && c !== 0x3a) continue;
    if (first) {
      first = false;
      if (c !== 0x7b || text.slice(0, i).trim() !== '') return { ok: false, reason: 'not_object' };
    }
    if (c === 0x22) {
      // A string: find its closing quote (one not escaped by an odd run of backslashes).
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return { ok: false, reason: 'unterminated' };
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if ((j - k) % 2 === 1) break;
      }
      if (depth === 1 && expectKey) {
        key = text.slice(i + 1, j);
        if (key.includes('\\')) {
          const decoded = decodeKey(text.slice(i, j + 1));
          if (decoded === undefined) return { ok: false, reason: 'bad_key' };
          key = decoded;
        }
        if (spans.has(key)) return { ok: false, reason: 'repeated_key', key };
        expectKey = false;
      }
      i = j;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return { ok: false, reason: 'too_deep' };
      if (depth === 1) expectKey = true;
      continue;
    }
    if (c === 0x3a) {
      if (depth === 1) valueStart = i + 1;
      continue;
    }
    if (c === 0x2c || c === 0x7d || c === 0x5d) {
      if (depth === 1 && key !== undefined && valueStart >= 0) {
        spans.set(key, trimSpan(text, valueStart, i));
        key = undefined;
        valueStart = -1;
      }
      if (c === 0x2c) {
        if (depth === 1) expectKey = true;
      } else depth--;
    }
  }
  return { ok: true, spans };
}

/** A JSON string literal's value, or undefined when its escapes are not valid JSON. */
function decodeKey(literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}

function trimSpan(text: string, start: number, end: number): TopLevelSpan {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return { start, end };
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Keys spelt only in lowercase ASCII letters, digits and `_` — every key OpenAI's and Anthropic's APIs name — are
 * their own case fold: told apart without a copy.
 */
const FOLDED = /^[a-z0-9_]*$/;

/**
 * A key as a backend that matches keys regardless of case reads it: Go's encoding/json (Ollama, LocalAI) folds by
 * Unicode simple folding — `ſ` (U+017F) is `s`, the Kelvin sign `k` — and ASP.NET's System.Text.Json by invariant
 * upper case (`ı` is `i`). Upper then lower case gives all three; it also folds `ß` to `ss`, a false match only
 * for a key no API names.
 */
function foldedKey(key: string): string {
  return FOLDED.test(key) ? key : key.toUpperCase().toLowerCase();
}

/**
 * The first of `keys` (an object's) that is not `name` as written but is `name` to a backend that matches keys
 * regardless of case, for a `name` in `names` (all their own fold). Go's encoding/json fills a field from every key that folds
 * to its name, the last one winning (golang/go#43664), and so does ASP.NET's: beside `"model":"cheap"`, a later
 * `"MODEL":"premium"` is the model such a backend serves, and `"MAX_TOKENS"` or `"N"` alone what it generates,
 * while the gateway routed, checked and charged the lowercase ones.
 */
export function caseVariant(keys: Iterable<string>, names: ReadonlySet<string>): { key: string; name: string } | undefined {
  for (const key of keys) {
    if (FOLDED.test(key)) continue;
    const name = foldedKey(key);
    if (names.has(name)) return { key, name };
  }
  return undefined;
}
