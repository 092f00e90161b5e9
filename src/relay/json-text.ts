/**
 * Reading a value out of JSON text that passes by, in place: no JSON.parse, no regular expression (each match
 * an array and substrings, on every answer). Each reader matches exactly what the regular expression in its
 * comment matches — test/unit/relay/answer-facts.test.ts holds them to those expressions over generated text.
 */
import { isSpace } from '../core/whitespace.js';
import { ownString } from '../core/own-string.js';

/** The first index at or after `i` (below `limit`) that is not a space. */
function skipSpace(text: string, i: number, limit: number): number {
  while (i < limit && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/**
 * The count after the first `key` at or after `from` that reads /key\s*:\s*(\d{1,maxDigits})(?![\d.eE])/: 1 to
 * maxDigits digits and no more (a 400-digit count is not a count), nor a fraction or an exponent after them — read
 * as far as its digits, `2E3` was 2 tokens of a 2,000-token answer (its reader parses such a text instead).
 */
export function countAfter(text: string, key: string, maxDigits: number, from = 0): number | undefined {
  const n = text.length;
  for (let at = text.indexOf(key, from); at >= 0; at = text.indexOf(key, at + 1)) {
    let i = skipSpace(text, at + key.length, n);
    if (text.charCodeAt(i) !== 0x3a) continue;
    i = skipSpace(text, i + 1, n);
    let value = 0;
    let digits = 0;
    for (let c = text.charCodeAt(i); c >= 0x30 && c <= 0x39 && digits <= maxDigits; c = text.charCodeAt(i + ++digits))
      value = value * 10 + (c - 0x30);
    const after = text.charCodeAt(i + digits);
    if (digits >= 1 && digits <= maxDigits && after !== 0x2e && after !== 0x65 && after !== 0x45) return value;
  }
  return undefined;
}

/**
 * The string value after the first `key` at or after `from`, read as /^key\s*:\s*"([^"\\\s]{1,max})"/ reads
 * the `window` characters from the key on: a plain short string, or `''` when the key's value is anything
 * else (a number, an escape, too long); `end` is where reading may go on. Undefined without the key.
 */
export function stringAfter(text: string, key: string, max: number, window: number, from = 0): { value: string; end: number } | undefined {
  const at = text.indexOf(key, from);
  if (at < 0) return undefined;
  const limit = Math.min(text.length, at + window);
  let i = skipSpace(text, at + key.length, limit);
  if (i >= limit || text.charCodeAt(i) !== 0x3a) return notPlain(at, key);
  i = skipSpace(text, i + 1, limit);
  if (i >= limit || text.charCodeAt(i) !== 0x22) return notPlain(at, key);
  const start = ++i;
  for (; i < limit && i - start <= max; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || isSpace(c)) break;
  }
  const length = i - start;
  if (length < 1 || length > max || i >= limit || text.charCodeAt(i) !== 0x22) return notPlain(at, key);
  return { value: ownString(text.slice(start, i)), end: i + 1 };
}

/** The key is there but its value is not a plain short string: reading goes on after the key. */
function notPlain(at: number, key: string): { value: string; end: number } {
  return { value: '', end: at + key.length };
}
