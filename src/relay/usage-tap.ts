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

const NULL_USAGE = /"usage"[ \t]*:[ \t]*null/y;

/**
 * Whether a JSON text holds a `"usage"` that is not `"usage": null` (OpenAI's in every chunk but the last of a
 * stream that asked for usage): the SSE relay's reading of an event, the same on its bytes (sse-bytes.ts, nullUsageEnd).
 */
export function carriesUsage(text: string): boolean {
  for (let at = text.indexOf('"usage"'); at >= 0; at = text.indexOf('"usage"', at + 1)) {
    NULL_USAGE.lastIndex = at;
    if (!NULL_USAGE.test(text)) return true;
  }
  return false;
}

/** The usage object of a JSON text (the last `"usage"` in it), if any. */
export function usageIn(text: string): Usage | undefined {
  const at = text.lastIndexOf('"usage"');
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
