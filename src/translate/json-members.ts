/**
 * Where a value stands in a JSON text that JSON.parse has read already: what a translation repeats as the backend wrote
 * it rather than as JavaScript holds it — a number past 2^53 (a 19-digit id) parsed and written again is another number.
 * The text is known to be JSON, so these only find boundaries: strings (with their escapes) and nesting. No recursion,
 * each character looked at a bounded number of times.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** A value's place: `text.slice(start, end)` is its JSON text. */
export interface Span {
  start: number;
  end: number;
}

/** JSON's whitespace: the only characters between its tokens. */
function skipBlank(text: string, i: number): number {
  for (let c = text.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++i));
  return i;
}

/** Just past the string whose opening quote is at `i`. */
function stringEnd(text: string, i: number): number {
  const n = text.length;
  for (i++; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return n;
}

/** Just past the value that starts at `i`. */
export function valueEnd(text: string, i: number): number {
  const n = text.length;
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i);
  if (first === LBRACE || first === LBRACKET) {
    let depth = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) i = stringEnd(text, i) - 1;
      else if (c === LBRACE || c === LBRACKET) depth++;
      else if ((c === RBRACE || c === RBRACKET) && --depth === 0) return i + 1;
    }
    return n;
  }
  // A number, true, false or null: up to the next delimiter.
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === COMMA || c === RBRACE || c === RBRACKET || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
  }
  return i;
}

/**
 * The span of member `name` of the object at `at` (blanks before it skipped) — its last, as JSON.parse keeps the last
 * of a repeated key; undefined when `at` is no object or has no such member.
 */
export function memberSpan(text: string, at: number, name: string): Span | undefined {
  let i = skipBlank(text, at);
  if (text.charCodeAt(i) !== LBRACE) return undefined;
  i = skipBlank(text, i + 1);
  let found: Span | undefined;
  while (text.charCodeAt(i) === QUOTE) {
    const keyEnd = stringEnd(text, i);
    const raw = text.slice(i + 1, keyEnd - 1);
    const key = raw.includes('\\') ? (JSON.parse(text.slice(i, keyEnd)) as string) : raw;
    i = skipBlank(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return found;
    const start = skipBlank(text, i + 1);
    const end = valueEnd(text, start);
    if (key === name) found = { start, end };
    i = skipBlank(text, end);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipBlank(text, i + 1);
  }
  return found;
}

/** Where each element of the array at `at` starts (blanks before it skipped); undefined when `at` is no array. */
export function elementStarts(text: string, at: number): number[] | undefined {
  let i = skipBlank(text, at);
  if (text.charCodeAt(i) !== LBRACKET) return undefined;
  i = skipBlank(text, i + 1);
  const starts: number[] = [];
  if (text.charCodeAt(i) === RBRACKET) return starts;
  for (;;) {
    starts.push(i);
    i = skipBlank(text, valueEnd(text, i));
    if (text.charCodeAt(i) !== COMMA) return starts;
    i = skipBlank(text, i + 1);
  }
}
