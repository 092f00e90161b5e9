/** Reading token usage out of bytes that pass by, without holding the body. */
import { keptBytes } from '../core/kept-bytes.js';
import type { RequestRecord } from '../events/request-record.js';
import type { TokenUsage } from '../translate/mapping.js';
import { countAfter } from './json-text.js';

export interface Usage {
  /** Every prompt token, cached or not. */
  prompt: number;
  completion: number;
  /** usage.prompt_tokens_details.cached_tokens, when the backend reports it (vLLM with its prefix cache, OpenAI). */
  cached?: number;
  /** Anthropic's usage.cache_creation_input_tokens: prompt tokens written to its cache (priced at `cacheWrite`). */
  cacheWrite?: number;
  /**
   * `completion` is a placeholder, not the answer's count: Anthropic's message_start says 1 output token, and
   * only a message_delta's usage is final. Accounting takes the larger of it and the estimate from the content.
   */
  provisional?: true;
  /**
   * The usage gave no readable prompt count (left out, written as a string): `prompt` is 0 and no count of it. The
   * prompt is counted then (tenants/admission.ts), as an unreadable output count is estimated from the content.
   */
  promptUnread?: true;
  /** Likewise the completion count: the answer's output is counted from its content (its events, its body). */
  completionUnread?: true;
}

const PROMPT_KEY = '"prompt_tokens"';
const COMPLETION_KEY = '"completion_tokens"';
const CACHED_KEY = '"cached_tokens"';
/** At most 15 digits (a safe integer): a backend's 400-digit count must not become Infinity in a limit or a metric. */
const MAX_DIGITS = 15;

/** A backend's reported usage, into the request's record. */
export function recordUsage(record: RequestRecord, u: Usage): void {
  record.outputTokens = u.completion;
  if (!u.completionUnread) record.outputSource = 'usage';
  // Taken as 0, a 4,000-token prompt whose count a backend wrote as "4000" was charged nothing: left uncounted here,
  // the settle stage counts it (and a cached count of no prompt count is not read: the prompt is priced uncached). Nor
  // is a count of 0 one: no prompt a backend reads is empty (a chat template, a BOS token), and a broken backend's 0
  // beside 4,000 words of prompt, streamed or not, was taken as it came and charged nothing.
  if (u.promptUnread || u.prompt === 0) return;
  record.inputTokens = u.prompt;
  record.inputSource = 'usage';
  if (u.cached !== undefined) record.cachedInputTokens = u.cached;
  if (u.cacheWrite !== undefined) record.cacheWriteInputTokens = u.cacheWrite;
}

/** Accounting's usage (translate/mapping.ts) as the relays record it. */
export function usageOfTokens(u: TokenUsage, provisional: boolean): Usage {
  const usage: Usage = { prompt: u.input, completion: u.output, cached: u.cacheRead };
  if (u.cacheCreation > 0) usage.cacheWrite = u.cacheCreation;
  if (provisional) usage.provisional = true;
  if (u.inputUnread) usage.promptUnread = true;
  return usage;
}

/** `"usage": null`, spaced as JSON allows (an event's data lines are joined by LF: a null may follow one). */
const NULL_USAGE = /"usage"[ \t\n\r]*:[ \t\n\r]*null/y;
/**
 * A lower-case letter or `_` written as a JSON escape: `"\u0075sage"` is the key `"usage"` to a JSON parser (and to
 * the client's SDK), `"prompt\u005ftokens"` is `"prompt_tokens"`, and the searches below find neither. A text with
 * one is read by JSON.parse instead. Encoders escape control characters, non-ASCII, DEL (`\u007f`, Python's
 * ensure_ascii) and at most `<>&'`: apart from DEL, nothing in this range, so a normal stream's events are not parsed.
 */
const ESCAPED_KEY_LETTER = /\\u00(?:[67][0-9a-fA-F]|5[fF])/;
/** The usage-only chunk's empty choices, however spaced (Python's json.dumps writes `"choices": []`). */
const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;
/** Whether a chunk's text holds empty choices (a usage-only chunk, Azure's prompt filter results): no output in it. */
export const hasEmptyChoices = (text: string): boolean => EMPTY_CHOICES.test(text);
/** A count written with a fraction or an exponent, which the search does not read (json-text.ts countAfter). */
const NOT_PLAIN_COUNT = /"(?:prompt|completion|cached)_tokens"\s*:\s*-?\d+[.eE]/g;

/** Whether the text's last usage holds a count NOT_PLAIN_COUNT matches: looked for from that usage on, not in all. */
function notPlainCount(text: string): boolean {
  const at = text.lastIndexOf('"usage"');
  if (at < 0) return false;
  NOT_PLAIN_COUNT.lastIndex = at;
  return NOT_PLAIN_COUNT.test(text);
}
/** The largest count read (15 digits, as MAX_DIGITS). */
const MAX_COUNT = 999_999_999_999_999;

/** Whether a text holds a key spelt with escapes that the searches here would miss (see ESCAPED_KEY_LETTER). */
export const hasEscapedKeyLetter = (text: string): boolean => ESCAPED_KEY_LETTER.test(text);

/** Every `\u00XX` escape of a lower-case letter or `_`. */
const ESCAPED_LETTERS = /\\u00(?:6[1-9a-fA-F]|7[0-9aA]|5[fF])/g;
const letterOf = (written: string): string => String.fromCharCode(Number.parseInt(written.slice(2), 16));

/**
 * The text with the lower-case letters and `_` that escapes spell written out, for a test of how a text is spelt
 * (a regular expression) to read names as a JSON parser does. An escaped backslash before `u00…` is read as an escape
 * too: such a text is read as spelling more than it does, never less.
 */
export const lettersWritten = (text: string): string => (ESCAPED_KEY_LETTER.test(text) ? text.replace(ESCAPED_LETTERS, letterOf) : text);

/** What one JSON text (an event's data) says of usage, when it carries one that is not null. */
export interface UsageReading {
  /** Its counts, when they can be read. */
  usage: Usage | undefined;
  /** `"choices": []`: the usage-only chunk, which a client that did not ask for usage must not get. */
  emptyChoices: boolean;
}

/**
 * Whether a JSON text holds a `"usage"` that is not `"usage": null` (OpenAI's in every chunk but the last of a
 * stream that asked for usage), as spelt: the reading the SSE relay's bytes mirror (sse-bytes.ts, nullUsageEnd).
 */
export function carriesUsage(text: string): boolean {
  for (let at = text.indexOf('"usage"'); at >= 0; at = text.indexOf('"usage"', at + 1)) {
    NULL_USAGE.lastIndex = at;
    if (!NULL_USAGE.test(text)) return true;
  }
  return false;
}

/**
 * An event's usage, if it carries one: read by JSON.parse whenever it may (a `"usage"` that is not null, or a key
 * spelt with escapes) — the top-level usage and choices, as the client's SDK reads them, whatever else the event
 * nests or repeats. Once per stream (its usage chunk); OpenAI's null usages are not parsed. A text that is not JSON
 * is searched.
 */
export function usageChunk(text: string): UsageReading | undefined {
  const escaped = ESCAPED_KEY_LETTER.test(text);
  if (!escaped && !carriesUsage(text)) return undefined;
  const parsed = parsedReading(text);
  if (parsed !== NOT_JSON) return parsed;
  // Not JSON: searched, as spelt.
  if (!carriesUsage(text)) return undefined;
  return { usage: searchedUsage(text), emptyChoices: EMPTY_CHOICES.test(text) };
}

/**
 * Whether the search could misread a text's usage: keys spelt with escapes, or more than one `"usage"` (a nested one,
 * a null after the real one, a repeated key). Two checks of ~0.2 and ~0.7 µs on a short answer; more (a count key
 * repeated, a count with an exponent) would cost about what the JSON.parse they spare does (2–4 µs here), on every
 * non-streamed request: a body's single usage object is searched (an event's is always parsed: usageChunk).
 */
function searchMayMisread(text: string): boolean {
  return ESCAPED_KEY_LETTER.test(text) || text.indexOf('"usage"') !== text.lastIndexOf('"usage"');
}

/**
 * The usage of a JSON text or of a body's last bytes. The search (the last `"usage"`, the counts after it) reads a
 * backend's usual answer; a text it could misread (searchMayMisread) is read by JSON.parse when it is whole JSON.
 */
export function usageIn(text: string): Usage | undefined {
  if (searchMayMisread(text)) {
    const parsed = parsedReading(text);
    if (parsed !== NOT_JSON) return parsed?.usage;
  }
  const searched = searchedUsage(text);
  // A count the search does not read as plain digits (`2E3`, `1000.0`): JSON.parse reads what JSON says, when the
  // text is whole. Rare: the usual answer pays for the search alone; one without a count of its own (an embedding's
  // has no completion count) for a look at the usage object too.
  if ((searched === undefined || searched.promptUnread || searched.completionUnread) && notPlainCount(text)) {
    const parsed = parsedReading(text);
    if (parsed !== NOT_JSON) return parsed?.usage;
  }
  return searched;
}

function searchedUsage(text: string): Usage | undefined {
  const at = text.lastIndexOf('"usage"');
  if (at < 0) return undefined;
  const p = countAfter(text, PROMPT_KEY, MAX_DIGITS, at);
  const c = countAfter(text, COMPLETION_KEY, MAX_DIGITS, at);
  if (p === undefined && c === undefined) return undefined;
  return usageOf(p, c, countAfter(text, CACHED_KEY, MAX_DIGITS, at));
}

/** Usage from the counts read (at least one of prompt and completion), however they were read. */
function usageOf(prompt: number | undefined, completion: number | undefined, cached: number | undefined): Usage {
  const u: Usage = { prompt: prompt ?? 0, completion: completion ?? 0 };
  if (prompt === undefined) u.promptUnread = true;
  if (completion === undefined) u.completionUnread = true;
  // Never more cached than prompt tokens, whatever the backend claims.
  if (cached !== undefined) u.cached = Math.min(cached, u.prompt);
  return u;
}

const NOT_JSON = Symbol('not JSON');

/** A count as JSON says it, in whole tokens (1e3 is 1000, 1000.5 is 1000, as the search reads its digits); at most 15 digits. */
const countOf = (v: unknown): number | undefined => (typeof v === 'number' && v >= 0 && v <= MAX_COUNT ? Math.floor(v) : undefined);

/**
 * The exact reading, by JSON.parse: the text's top-level usage, if not null (where OpenAI, vLLM and Azure put it),
 * and whether its top-level choices are empty.
 */
function parsedReading(text: string): UsageReading | undefined | typeof NOT_JSON {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
  if (json === null || typeof json !== 'object') return undefined;
  const { usage, choices } = json as { usage?: unknown; choices?: unknown };
  if (usage === undefined || usage === null) return undefined;
  const emptyChoices = Array.isArray(choices) && choices.length === 0;
  if (typeof usage !== 'object') return { usage: undefined, emptyChoices };
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } | null };
  const p = countOf(u.prompt_tokens);
  const c = countOf(u.completion_tokens);
  if (p === undefined && c === undefined) return { usage: undefined, emptyChoices };
  return { usage: usageOf(p, c, countOf(u.prompt_tokens_details?.cached_tokens)), emptyChoices };
}

/**
 * Remembers the last `limit` bytes of a body: a non-streamed answer's usage is in its last few hundred bytes. The
 * last two reads, usually all it needs; reads before them only while the two hold less (a backend that writes its
 * body in small pieces: with two reads of 32 bytes kept, its usage was missed and the answer counted from its text).
 * Read as latin1 — the usage object is ASCII, and latin1 cannot fail on a character cut at an edge.
 */
export class TailWindow {
  private last: Buffer | undefined;
  private prev: Buffer | undefined;
  /** Reads before `prev` still within the window, oldest first; made only for small reads. */
  private earlier: Buffer[] | undefined;
  private earlierBytes = 0;
  constructor(private readonly limit = 4096) {}
  push(chunk: Buffer): void {
    const { last, prev, limit } = this;
    if (prev !== undefined && chunk.length + last!.length < limit) {
      (this.earlier ??= []).push(keptBytes(prev));
      this.earlierBytes += prev.length;
      // The oldest goes once the bytes after it fill the window.
      const after = chunk.length + last!.length;
      while (this.earlierBytes - this.earlier[0]!.length + after >= limit) this.earlierBytes -= this.earlier.shift()!.length;
    } else if (this.earlier !== undefined) {
      this.earlier = undefined;
      this.earlierBytes = 0;
    }
    this.prev = last;
    this.last = chunk;
  }
  text(): string {
    const { last, prev, limit } = this;
    if (!last) return '';
    const parts = this.earlier ? [...this.earlier, prev!, last] : prev ? [prev, last] : [last];
    let text = '';
    for (let i = parts.length - 1; i >= 0 && text.length < limit; i--) {
      const p = parts[i]!;
      text = p.toString('latin1', Math.max(0, p.length - (limit - text.length))) + text;
    }
    return text;
  }
}
