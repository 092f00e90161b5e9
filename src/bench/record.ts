/** What the bench keeps of one request: timings, outcome and the few headers its verdicts read. */
import { printable } from '../core/printable.js';

export interface RequestRecord {
  /** When it was sent, in ms since the run started. */
  sentAt: number;
  /** End-to-end latency: until the last byte, or until the failure, in ms. */
  e2el: number;
  /** 0 when no HTTP answer came (connection refused, reset before headers). */
  status: number;
  /** 2xx and complete: the only requests that count as throughput. */
  ok: boolean;
  /** Why it failed: the error body's `code`, or the bench's own (`connection_error`, `incomplete_stream`, …). */
  code?: string;
  /** The error body's `type` (429s name their limit: tokens, requests, concurrency). */
  errorType?: string;
  /** Streams: time to the first content event, in ms. */
  ttft?: number;
  /** Streams: gaps between consecutive content events, in ms (a load keeps a sample of them past a bound: itl-budget.ts). */
  itl?: number[];
  /** Streams: time to the last content event, in ms (with `ttft`, the span the content took). */
  lastContent?: number;
  /** Output tokens: from `usage`, else the content events of a stream. */
  outputTokens: number;
  inputTokens: number;
  /** Streams: content events, socket reads that carried them, and events that came in a read with an earlier one after a pause. */
  contentEvents?: number;
  contentReads?: number;
  heldEvents?: number;
  /** The answering backend, from `system_fingerprint` (the mocks set it). */
  backend?: string;
  /** The answer's text, when asked for (fidelity checks, multi-turn conversations). */
  text?: string;
  /** `x-ratelimit-*` and `retry-after*` headers, when the answer carried any: for the pacer (the load drops them once read). */
  limits?: Record<string, string>;
}

/**
 * Failure kinds (status, code and limit) told apart in one tally; past them a new kind counts as `STATUS other`. The
 * codes are the target's: one answering each request with a code of its own made the live line (every 2 s off a
 * terminal) and the summary's failure line grow with every request, to megabytes.
 */
export const MAX_REFUSAL_KINDS = 64;

/** The tally's key of a failure and the kind it is counted as: its own, or `STATUS other` once `kinds` are full. */
export function refusalKind(
  r: Pick<RequestRecord, 'status' | 'code' | 'errorType'>,
  known: (key: string) => boolean,
  kinds: number,
): { key: string; status: number; code: string; type?: string } {
  const code = refusalLabel(r).slice(String(r.status).length + 1);
  const type = r.status === 429 && r.errorType ? r.errorType : undefined;
  const key = `${r.status} ${code} ${type ?? ''}`;
  if (known(key) || kinds < MAX_REFUSAL_KINDS) return { key, status: r.status, code, ...(type ? { type } : {}) };
  return { key: `${r.status} other`, status: r.status, code: 'other' };
}

/** Status and code as one label: `429 rate_limit_exceeded`, `0 connection_error`. */
export function refusalLabel(r: Pick<RequestRecord, 'status' | 'code'>): string {
  return `${r.status} ${r.code ?? (r.status >= 200 && r.status < 300 ? 'incomplete' : 'unknown')}`;
}

/**
 * A string the target chose (an error code, a `system_fingerprint`), made safe to print: no control
 * characters (a terminal escape sequence from a hostile gateway stays text), at most 64 characters.
 */
export function label(x: unknown): string | undefined {
  return typeof x === 'string' && x ? printable(x, 64) : undefined;
}

/** `403 model_not_allowed` from an error body in OpenAI's shape, else `HTTP 403`. */
export function statusAndCode(status: number, body: Buffer): string {
  if (body.length > 65536) return `HTTP ${status}`;
  try {
    const code = label((JSON.parse(body.toString()) as { error?: { code?: unknown } }).error?.code);
    return code ? `${status} ${code}` : `HTTP ${status}`;
  } catch {
    return `HTTP ${status}`;
  }
}

/** A token count a target may report: a whole number, at most the gateway's own cap on max_tokens times a batch. */
export const MAX_REPORTED_TOKENS = 1e12;

/**
 * A token count from an answer's (or a chunk's) `usage`: 0 when it has none, or is not JSON, or the count is not
 * a number an answer can have (negative, fractional, over MAX_REPORTED_TOKENS) — a target's body is not trusted to
 * be what it should. Two answers of 1e308 summed to Infinity in ratelimit's windows and accounting's total.
 */
export function usageCount(text: string, field: 'completion_tokens' | 'total_tokens'): number {
  try {
    const n = (JSON.parse(text) as { usage?: Record<string, unknown> } | null)?.usage?.[field];
    return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_REPORTED_TOKENS ? (n as number) : 0;
  } catch {
    return 0;
  }
}

/**
 * The media type of a 2xx answer to a streamed request when it says it is JSON (`application/json`, `…+json`: a target
 * that ignored `stream: true`), else undefined. openai-node reads any body as events and finds none in such an answer;
 * told apart from a cut stream (`not_a_stream`, not `incomplete_stream`), the report names the target's fault, not a
 * buffer's. Any other type (none, `text/plain`: servers mislabel their streams) is read as the stream it may be.
 */
export function notStreamType(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers['content-type'];
  const type = (Array.isArray(raw) ? raw[0] : raw)?.split(';', 1)[0]?.trim().toLowerCase();
  return type === 'application/json' || type?.endsWith('+json') ? label(type) : undefined;
}

/**
 * The content coding an answer came in (`gzip`, `br`, …), or undefined for none (`identity`). The bench asks for none (it
 * sends no accept-encoding), so a coded body's bytes are not the answer's text or events: read as them, a gzipped answer
 * was "truncated at 6035 bytes of 6035" — a cut no buffer made.
 */
export function contentCoding(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers['content-encoding'];
  const v = (Array.isArray(raw) ? raw.join(', ') : raw)?.trim().toLowerCase();
  return v && v !== 'identity' ? label(v) : undefined;
}
