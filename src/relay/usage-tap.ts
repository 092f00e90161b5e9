/** Reading token usage out of bytes that pass by, without holding the body. */
import type { RequestRecord } from '../events/request-record.js';

export interface Usage {
  /** Every prompt token, cached or not. */
  prompt: number;
  completion: number;
  /** usage.prompt_tokens_details.cached_tokens, when the backend reports it (vLLM with its prefix cache, OpenAI). */
  cached?: number;
}

const PROMPT_KEY = '"prompt_tokens"';
const COMPLETION_KEY = '"completion_tokens"';
const CACHED_KEY = '"cached_tokens"';
/** At most 15 digits (a safe integer): a backend's 400-digit count must not become Infinity in a limit or a metric. */
const MAX_DIGITS = 15;

/** JavaScript's `\s`: what a backend may put around a colon. */
function isSpace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0xa0 &&
      (c === 0xa0 ||
        c === 0x1680 ||
        (c >= 0x2000 && c <= 0x200a) ||
        c === 0x2028 ||
        c === 0x2029 ||
        c === 0x202f ||
        c === 0x205f ||
        c === 0x3000 ||
        c === 0xfeff))
  );
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/**
 * The count after the first `key` at or after `from` that reads `key \s* : \s* digits`, with 1 to MAX_DIGITS
 * digits and no more — what /"key"\s*:\s*(\d{1,15})(?!\d)/ finds (the test holds the two to the same
 * answers) — read in place: no match array, no substring, on every answer's path.
 */
export function countAfter(text: string, key: string, from = 0): number | undefined {
  for (let at = text.indexOf(key, from); at >= 0; at = text.indexOf(key, at + 1)) {
    let i = skipSpace(text, at + key.length);
    if (text.charCodeAt(i) !== 0x3a) continue;
    i = skipSpace(text, i + 1);
    let n = 0;
    let digits = 0;
    for (let c = text.charCodeAt(i); c >= 0x30 && c <= 0x39 && digits <= MAX_DIGITS; c = text.charCodeAt(i + ++digits))
      n = n * 10 + (c - 0x30);
    if (digits >= 1 && digits <= MAX_DIGITS) return n;
  }
  return undefined;
}

/** A backend's reported usage, into the request's record. */
export function recordUsage(record: RequestRecord, u: Usage): void {
  record.inputTokens = u.prompt;
  record.outputTokens = u.completion;
  record.inputSource = record.outputSource = 'usage';
  if (u.cached !== undefined) record.cachedInputTokens = u.cached;
}

/** The usage object of a JSON text (the last `"usage"` in it), if any. */
export function usageIn(text: string): Usage | undefined {
  const at = text.lastIndexOf('"usage"');
  if (at < 0) return undefined;
  const p = countAfter(text, PROMPT_KEY, at);
  const c = countAfter(text, COMPLETION_KEY, at);
  if (p === undefined && c === undefined) return undefined;
  const u: Usage = { prompt: p ?? 0, completion: c ?? 0 };
  const cached = countAfter(text, CACHED_KEY, at);
  // Never more cached than prompt tokens, whatever the backend claims.
  if (cached !== undefined) u.cached = Math.min(cached, u.prompt);
  return u;
}

/**
 * Remembers the last two chunks of a body: a non-streamed answer's usage is in its last few hundred
 * bytes. Read as latin1 — the usage object is ASCII, and latin1 cannot fail on a character cut at an edge.
 */
export class TailWindow {
  private last: Buffer | undefined;
  private prev: Buffer | undefined;
  constructor(private readonly limit = 4096) {}
  push(chunk: Buffer): void {
    this.prev = this.last;
    this.last = chunk;
  }
  text(): string {
    const { last, prev, limit } = this;
    if (!last) return '';
    const tail = last.toString('latin1', Math.max(0, last.length - limit));
    const need = limit - tail.length;
    return need > 0 && prev ? prev.toString('latin1', Math.max(0, prev.length - need)) + tail : tail;
  }
}
