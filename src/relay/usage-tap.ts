/** Reading token usage out of bytes that pass by, without holding the body. */
import type { RequestRecord } from '../events/request-record.js';
import { countAfter } from './json-text.js';

export interface Usage {
  /** Every prompt token, cached or not. */
  prompt: number;
  completion: number;
  /** usage.prompt_tokens_details.cached_tokens, when the backend reports it (vLLM with its prefix cache, OpenAI). */
  cached?: number;
  /**
   * `completion` is a placeholder, not the answer's count: Anthropic's message_start says 1 output token, and
   * only a message_delta's usage is final. Accounting takes the larger of it and the estimate from the content.
   */
  provisional?: true;
}

const PROMPT_KEY = '"prompt_tokens"';
const COMPLETION_KEY = '"completion_tokens"';
const CACHED_KEY = '"cached_tokens"';
/** At most 15 digits (a safe integer): a backend's 400-digit count must not become Infinity in a limit or a metric. */
const MAX_DIGITS = 15;

/** A backend's reported usage, into the request's record. */
export function recordUsage(record: RequestRecord, u: Usage): void {
  record.inputTokens = u.prompt;
  record.outputTokens = u.completion;
  record.inputSource = record.outputSource = 'usage';
  if (u.cached !== undefined) record.cachedInputTokens = u.cached;
}

/** `"usage": null`, spaced as JSON allows (an event's data lines are joined by LF: a null may follow one). */
const NULL_USAGE = /"usage"[ \t\n\r]*:[ \t\n\r]*null/y;
/**
 * A lower-case letter or `_` written as a JSON escape: `"\u0075sage"` is the key `"usage"` to a JSON parser (and to
 * the client's SDK), `"prompt\u005ftokens"` is `"prompt_tokens"`, and the searches below find neither. A text with
 * one is read by JSON.parse instead. Encoders escape control characters, non-ASCII and at most `<>&'` (all outside
 * this range): only a backend that spells its keys to hide them pays for the parse.
 */
const ESCAPED_KEY_LETTER = /\\u00(?:[67][0-9a-fA-F]|5[fF])/;
/** The usage-only chunk's empty choices, however spaced (Python's json.dumps writes `"choices": []`). */
const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;
/** The largest count read (15 digits, as MAX_DIGITS). */
const MAX_COUNT = 999_999_999_999_999;

const isNullUsageAt = (text: string, at: number): boolean => {
  NULL_USAGE.lastIndex = at;
  return NULL_USAGE.test(text);
};

/** What one JSON text (an event's data) says of usage, when it carries one that is not null. */
export interface UsageReading {
  /** Its counts, when they can be read. */
  usage: Usage | undefined;
  /** `"choices": []`: the usage-only chunk, which a client that did not ask for usage must not get. */
  emptyChoices: boolean;
}

/**
 * Whether a JSON text holds a `"usage"` that is not `"usage": null` (OpenAI's in every chunk but the last of a
 * stream that asked for usage): the SSE relay's reading of an event, the same on its bytes (sse-bytes.ts, nullUsageEnd).
 */
export function carriesUsage(text: string): boolean {
  if (ESCAPED_KEY_LETTER.test(text)) {
    const parsed = parsedReading(text);
    if (parsed !== NOT_JSON) return parsed !== undefined;
  }
  for (let at = text.indexOf('"usage"'); at >= 0; at = text.indexOf('"usage"', at + 1)) if (!isNullUsageAt(text, at)) return true;
  return false;
}

/** The usage object of a JSON text (the last `"usage"` in it that is not null), if any. */
export function usageIn(text: string): Usage | undefined {
  if (ESCAPED_KEY_LETTER.test(text)) {
    const parsed = parsedReading(text);
    if (parsed !== NOT_JSON) return parsed?.usage;
  }
  let at = text.lastIndexOf('"usage"');
  // A null one after the real one (a backend's nested `"usage": null`) has no counts after it to read.
  while (at >= 0 && isNullUsageAt(text, at)) at = at === 0 ? -1 : text.lastIndexOf('"usage"', at - 1);
  if (at < 0) return undefined;
  const p = countAfter(text, PROMPT_KEY, MAX_DIGITS, at);
  const c = countAfter(text, COMPLETION_KEY, MAX_DIGITS, at);
  if (p === undefined && c === undefined) return undefined;
  const u: Usage = { prompt: p ?? 0, completion: c ?? 0 };
  const cached = countAfter(text, CACHED_KEY, MAX_DIGITS, at);
  // Never more cached than prompt tokens, whatever the backend claims.
  if (cached !== undefined) u.cached = Math.min(cached, u.prompt);
  return u;
}

/** An event's usage reading (carriesUsage, usageIn and its empty choices at once); undefined when it carries none. */
export function usageChunk(text: string): UsageReading | undefined {
  if (ESCAPED_KEY_LETTER.test(text)) {
    const parsed = parsedReading(text);
    if (parsed !== NOT_JSON) return parsed;
  }
  if (!carriesUsage(text)) return undefined;
  return { usage: usageIn(text), emptyChoices: EMPTY_CHOICES.test(text) };
}

const NOT_JSON = Symbol('not JSON');

/** A count as the searches read one: a whole number of at most 15 digits. */
const countOf = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_COUNT ? v : undefined;

/**
 * The exact reading, by JSON.parse, of a text whose keys may be escaped: its top-level usage, if not null (where
 * OpenAI, vLLM and Azure put it; the searches also find a nested one, which no backend writes).
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
  const read: Usage = { prompt: p ?? 0, completion: c ?? 0 };
  const cached = countOf(u.prompt_tokens_details?.cached_tokens);
  if (cached !== undefined) read.cached = Math.min(cached, read.prompt);
  return { usage: read, emptyChoices };
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
