/**
 * One pass over a JSON request body that JSON.parse cannot give us: nesting depth (checked before parsing,
 * so 100k-deep input is refused cheaply) and where each top-level key's value lies in the text, so that
 * `model` can be replaced without re-serialising — every other byte goes upstream as the client sent it.
 * Keys are decoded exactly as JSON.parse decodes them (`"m\u006fdel"` is `model`), and a key that repeats
 * after decoding is refused: otherwise the gateway could route and check one value while the backend,
 * reading the last, serves another. It also counts the body's distinct object keys and its values, held to
 * MAX_DISTINCT_KEYS and MAX_JSON_VALUES.
 */
import { randomBytes } from 'node:crypto';

export interface TopLevelSpan {
  /** Offset of the value's first character. */
  start: number;
  /** Offset just past the value. */
  end: number;
  /** Offset of the opening quote of its key (a member can then be taken out whole). */
  keyStart?: number;
}

export type ScanResult =
  | { ok: true; spans: Map<string, TopLevelSpan> }
  | { ok: false; reason: 'too_deep' | 'not_object' | 'unterminated' | 'bad_key' | 'too_many_keys' | 'too_many_values' }
  | { ok: false; reason: 'repeated_key'; key: string };

/**
 * The most distinct object keys (array indexes aside) a body may hold, top-level and nested. JSON.parse builds a hidden
 * class for each new key an object adds, ~3 µs apiece: a body of 6,500 objects of 100 keys each, all different
 * (7.7 MB, under maxRequestBytes), held the event loop 2.6 s — refused afterwards by the tenant's limits, or not —
 * where as many keys repeated from object to object take ~0.1 s. Real requests (tool schemas included) use a few
 * hundred; past this many the body is refused before JSON.parse sees it.
 */
export const MAX_DISTINCT_KEYS = 16_384;
/**
 * The most objects, arrays and strings (values JSON.parse allocates, each ~0.25–0.5 µs with its collection) a body may
 * hold. 8 MB of `[[[…]]]` (4 M arrays) held the event loop 1.05 s, of `{}` 0.8 s, of short strings ~0.6 s, where
 * 8 MB of prompt text takes 0.05 s. The largest real requests hold a few hundred thousand (190,000 tool results
 * are 190,000 objects and 380,000 strings); past this many the body is refused before JSON.parse sees it (~0.2 s).
 */
export const MAX_JSON_VALUES = 1_048_576;
/** Nested keys read before they are counted: a body with fewer cannot have too many distinct ones, nor pays for the count. */
const UNCOUNTED_KEYS = 4_096;
/** Keys are counted by a hash of their text seeded per process, so a client cannot aim many keys at one count. */
const KEY_SEED = randomBytes(4).readUInt32LE(0);

/**
 * Whether the container at each depth is an object (its strings after `{` and `,` are keys), for the key count. One for
 * every scan (it runs to its end synchronously): a typed array a call doubled the scan of a small body.
 */
let isObject = new Uint8Array(130);

export function scanTopLevel(text: string, maxDepth: number, maxKeys = MAX_DISTINCT_KEYS, maxValues = MAX_JSON_VALUES): ScanResult {
  const spans = new Map<string, TopLevelSpan>();
  let depth = 0;
  let key: string | undefined;
  let expectKey = false;
  if (isObject.length < maxDepth + 2) isObject = new Uint8Array(maxDepth + 2);
  let nestedKeys = 0;
  let values = 0;
  let counted: KeyCount | undefined;
  let valueStart = -1;
  let keyStart = -1;
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
      if (expectKey && depth > 1) {
        expectKey = false;
        if (++nestedKeys > UNCOUNTED_KEYS) {
          counted ??= new KeyCount(maxKeys);
          if (counted.add(text, i + 1, j) + spans.size > maxKeys) return { ok: false, reason: 'too_many_keys' };
        }
      } else if (depth === 1 && expectKey) {
        if (spans.size >= maxKeys) return { ok: false, reason: 'too_many_keys' };
        key = text.slice(i + 1, j);
        if (key.includes('\\')) {
          const decoded = decodeKey(text.slice(i, j + 1));
          if (decoded === undefined) return { ok: false, reason: 'bad_key' };
          key = decoded;
        }
        if (spans.has(key)) return { ok: false, reason: 'repeated_key', key };
        keyStart = i;
        expectKey = false;
      } else if (++values > maxValues) return { ok: false, reason: 'too_many_values' };
      i = j;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return { ok: false, reason: 'too_deep' };
      if (++values > maxValues) return { ok: false, reason: 'too_many_values' };
      isObject[depth] = c === 0x7b ? 1 : 0;
      expectKey = c === 0x7b;
      continue;
    }
    if (c === 0x3a) {
      if (depth === 1) valueStart = i + 1;
      continue;
    }
    if (c === 0x2c || c === 0x7d || c === 0x5d) {
      if (depth === 1 && key !== undefined && valueStart >= 0) {
        spans.set(key, trimSpan(text, valueStart, i, keyStart));
        key = undefined;
        valueStart = -1;
      }
      if (c === 0x2c) expectKey = isObject[depth] === 1;
      else {
        depth--;
        expectKey = false;
      }
    }
  }
  return { ok: true, spans };
}

/**
 * Distinct keys by their text as written (an escaped spelling counts apart: only more keys counted), in an
 * open-addressed table of seeded 32-bit hashes, allocated once a body has that many keys. An array index (`"17"`,
 * logit_bias' token ids) is an element to JSON.parse, no hidden class: not counted.
 */
class KeyCount {
  private readonly table: Uint32Array;
  private readonly mask: number;
  size = 0;

  constructor(max: number) {
    let n = 1;
    while (n < max * 2) n <<= 1;
    this.table = new Uint32Array(n);
    this.mask = n - 1;
  }

  /** Counts the key at text[from, to); the distinct keys so far. */
  add(text: string, from: number, to: number): number {
    let h = KEY_SEED;
    let digits = to - from > 0 && to - from <= 9;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) digits = false;
      h = Math.imul(h ^ c, 0x01000193);
    }
    if (digits && (text.charCodeAt(from) !== 0x30 || to - from === 1)) return this.size;
    h = (h ^ (h >>> 15)) >>> 0 || 1;
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const e = this.table[slot]!;
      if (e === h) return this.size;
      if (e === 0) {
        this.table[slot] = h;
        return ++this.size;
      }
    }
  }
}

/** A JSON string literal's value, or undefined when its escapes are not valid JSON. */
function decodeKey(literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}

function trimSpan(text: string, start: number, end: number, keyStart: number): TopLevelSpan {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return { start, end, keyStart };
}

/** The span of a top-level member (its key, value and one comma beside it), so that removing it leaves valid JSON. */
export function memberSpan(text: string, value: TopLevelSpan): TopLevelSpan {
  const start = value.keyStart ?? value.start;
  let after = value.end;
  while (isSpace(text.charCodeAt(after))) after++;
  if (text.charCodeAt(after) === 0x2c) return { start, end: after + 1 };
  // The last member: the comma before it goes (none when it is the only one).
  let before = start - 1;
  while (before >= 0 && isSpace(text.charCodeAt(before))) before--;
  return text.charCodeAt(before) === 0x2c ? { start: before, end: value.end } : { start, end: value.end };
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
