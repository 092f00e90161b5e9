/**
 * One bench request as an undici dispatch handler: the response is read as it arrives (no promise or web
 * stream per chunk, so the load generator stays cheap) and folded into a RequestRecord — timings of each
 * content event, how events were grouped into socket reads, usage, and the error code of a refusal.
 */
import type { Dispatcher } from 'undici';
import { SseDecoder, type SseEvent } from '../openai/sse.js';
import { backendOf, chatFromMessage, EventsToChunks } from './anthropic-api.js';
import { label, MAX_REPORTED_TOKENS, notStreamType, type RequestRecord } from './record.js';

/** A read that comes this long after the previous one and carries several events held them back. */
export const HELD_GAP_MS = 20;
/** One SSE event larger than this ends the stream on the bench's side (aigw's own default maxEventBytes). */
const MAX_EVENT_BYTES = 16 * 1024 * 1024;
/** Bodies kept for parsing (usage, error code); a longer non-streamed answer is timed but not read (`unread_body`). */
const MAX_KEPT_BYTES = 1024 * 1024;
/** Inter-token gaps kept per request (a stream that never ends must not grow the bench without bound). */
const MAX_ITL_SAMPLES = 100_000;
/**
 * Streamed text kept per request, for the stream scenario's check (64 tokens) and a conversation's next turn: as much
 * as a non-streamed answer gives them (its body is read up to MAX_KEPT_BYTES). At 64 Mi characters, kept as one
 * string a delta at a time, a stream of 2-character deltas held ~1.7 GB of heap — two such streams ran the bench
 * out of memory.
 */
const MAX_TEXT_CHARS = 1024 * 1024;
/** Deltas of kept text joined into one string this many at a time (a string per delta, a join per this many). */
const TEXT_PARTS = 1024;

interface Chunk {
  choices?: { delta?: { content?: string | null }; text?: string; finish_reason?: unknown }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  system_fingerprint?: string;
  error?: { code?: unknown; type?: unknown };
}

function parse(text: string): Chunk | undefined {
  try {
    const j = JSON.parse(text) as unknown;
    return j && typeof j === 'object' ? (j as Chunk) : undefined;
  } catch {
    return undefined;
  }
}

const LIMIT_HEADER = /^(x-ratelimit-|retry-after)/;

export interface ExchangeOptions {
  stream: boolean;
  keepText: boolean;
  /** The run's clock origin (performance.now()), so sentAt is comparable across requests. */
  origin: number;
  /** The target answers in Anthropic's API (`--api anthropic`): read back as chat. */
  anthropic?: boolean;
  done(r: RequestRecord): void;
}

export class BenchExchange implements Dispatcher.DispatchHandler {
  private readonly t0 = performance.now();
  private readonly rec: RequestRecord;
  private readonly decoder = new SseDecoder();
  private readonly body: Buffer[] = [];
  private kept = 0;
  /** Part of a non-streamed body was not kept (past MAX_KEPT_BYTES): the answer cannot be read. */
  private unread = false;
  private lastRead = 0;
  private lastEvent = -1;
  private sawDone = false;
  /** A 2xx answer to a stream said it was none (its media type): read as events still, but named if it holds none. */
  private notStream: string | undefined;
  /** A stream's event carried text or a finish reason: without one, a [DONE] ends no answer. */
  private answered = false;
  private text = '';
  /** The latest deltas of kept text, not yet joined into `text`, and the characters of both. */
  private textParts: string[] = [];
  private textChars = 0;
  private finished = false;
  private contentInRead = 0;
  private sinceEvent = 0;
  private controller: Dispatcher.DispatchController | undefined;
  private readonly sink = { onEvent: (ev: SseEvent) => this.onEvent(ev) };
  /** `--api anthropic`: Anthropic's events as chunks, and the answering backend from the headers. */
  private chunks: EventsToChunks | undefined;
  private backend: string | undefined;

  constructor(private readonly o: ExchangeOptions) {
    this.rec = { sentAt: this.t0 - o.origin, e2el: 0, status: 0, ok: false, outputTokens: 0, inputTokens: 0 };
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // A stream's first read is timed from the request going out, not from its head: a path that holds the head back
    // with the whole stream and sends them in one write held every event, and timed from the head beside them it held none.
    this.lastRead = performance.now() - this.t0;
    // Cut while it waited in the pool's queue: it never starts.
    if (this.rec.code) controller.abort(new Error(this.rec.code));
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    this.rec.status = status;
    if (this.o.stream && status >= 200 && status < 300) this.notStream = notStreamType(headers);
    if (this.o.anthropic) {
      this.backend = backendOf(headers);
      this.chunks = new EventsToChunks(this.backend);
    }
    for (const [k, v] of Object.entries(headers)) {
      if (v !== undefined && LIMIT_HEADER.test(k)) (this.rec.limits ??= {})[k] = Array.isArray(v) ? v.join(',') : v;
    }
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.o.stream && this.rec.status >= 200 && this.rec.status < 300) {
      const now = performance.now() - this.t0;
      this.contentInRead = 0;
      this.sinceEvent += chunk.length;
      if (this.sinceEvent > MAX_EVENT_BYTES) {
        // No event boundary in 16 MiB: a stream the bench will not hold in memory.
        this.rec.code = 'event_too_large';
        this.controller?.abort(new Error('event_too_large'));
        return;
      }
      this.decoder.push(chunk, this.sink);
      if (this.contentInRead) {
        this.rec.contentReads = (this.rec.contentReads ?? 0) + 1;
        if (this.contentInRead > 1 && now - this.lastRead >= HELD_GAP_MS)
          this.rec.heldEvents = (this.rec.heldEvents ?? 0) + this.contentInRead - 1;
      }
      this.lastRead = now;
      return;
    }
    if (!this.unread && this.kept + chunk.length <= MAX_KEPT_BYTES) {
      this.body.push(chunk);
      this.kept += chunk.length;
    } else this.unread = true;
  }

  private onEvent(raw: SseEvent): void {
    this.sinceEvent = 0;
    const ev = this.chunks ? this.chunks.map(raw) : this.asOpenAI(raw);
    // Data '' is an event the client's SDK throws on (asOpenAI): parsed below, it is an invalid_event.
    if (ev?.data === undefined) return;
    if (ev.data === '[DONE]') {
      this.sawDone = true;
      return;
    }
    const j = parse(ev.data);
    if (!j) {
      // An event that is not JSON is not an answer the client could read, whatever the stream did after it.
      this.rec.code ??= 'invalid_event';
      return;
    }
    if (j.error) {
      this.rec.code = label(j.error.code) ?? 'stream_error';
      return;
    }
    const backend = label(j.system_fingerprint);
    if (backend) this.rec.backend = backend;
    if (j.usage) this.usage(j.usage);
    const choices = Array.isArray(j.choices) ? j.choices : [];
    if (choices.some((x) => typeof x?.finish_reason === 'string' && x.finish_reason)) this.answered = true;
    const c = choices[0];
    const piece = c?.delta?.content ?? c?.text;
    if (!piece) return;
    this.answered = true;
    const at = performance.now() - this.t0;
    if (this.lastEvent < 0) this.rec.ttft = at;
    else {
      const itl = (this.rec.itl ??= []);
      if (itl.length < MAX_ITL_SAMPLES) itl.push(at - this.lastEvent);
    }
    this.lastEvent = at;
    this.rec.lastContent = at;
    this.rec.contentEvents = (this.rec.contentEvents ?? 0) + 1;
    this.contentInRead++;
    if (this.o.keepText && typeof piece === 'string' && this.textChars + piece.length <= MAX_TEXT_CHARS) this.keep(piece);
  }

  /**
   * An OpenAI stream's event as openai-node reads it (core/streaming.js): nothing after [DONE] (its iterator skips
   * the rest), data that starts with [DONE] as the end, and every other event it dispatches — one with a data line,
   * or a name — parsed as JSON, throwing when it is not: `data:` with nothing after it, or an event named without a
   * data line (data ''). The bench skipped those and counted the stream whole, and counted text sent after an early
   * [DONE] as text received; the client's SDK failed the one and never saw the other.
   */
  private asOpenAI(raw: SseEvent): SseEvent | undefined {
    if (this.sawDone) return undefined;
    // A block of comments, or of an id alone, is no event to the SDK (an empty `event:` is none either).
    const data = raw.data ?? (raw.event ? '' : undefined);
    if (data === undefined) return undefined;
    if (data.startsWith('[DONE]')) return { ...raw, data: '[DONE]' };
    return data === raw.data ? raw : { ...raw, data };
  }

  /**
   * One delta of the text kept. Appended to one string delta by delta, each left a node of ~32 bytes besides its own
   * string until the end: joined every TEXT_PARTS deltas, the text takes about its own size.
   */
  private keep(piece: string): void {
    this.textParts.push(piece);
    this.textChars += piece.length;
    if (this.textParts.length < TEXT_PARTS) return;
    this.text += this.textParts.join('');
    this.textParts = [];
  }

  /** Token counts as the target reported them; a count no answer can have (negative, fractional, huge) is a fault. */
  private usage(u: NonNullable<Chunk['usage']>): void {
    const out = u.completion_tokens;
    const inp = u.prompt_tokens;
    if (!validCount(out) || !validCount(inp)) {
      this.rec.code ??= 'invalid_usage';
      return;
    }
    if (typeof out === 'number') this.rec.outputTokens = out;
    if (typeof inp === 'number') this.rec.inputTokens = inp;
  }

  /** The code of the bench's own cut, when the record ends with it (not when the target had failed it first). */
  cutBy: string | undefined;

  /** Ends the request on the bench's side, recorded with `code` (the run's time is over, or it was interrupted). */
  cut(code: string): void {
    if (this.finished) return;
    if (this.rec.code === undefined) {
      this.rec.code = code;
      this.cutBy = code;
    }
    this.controller?.abort(new Error(code));
  }

  onResponseEnd(): void {
    const r = this.rec;
    const okStatus = r.status >= 200 && r.status < 300;
    if (this.o.stream && okStatus) {
      this.decoder.end(this.sink);
      if (!r.outputTokens) r.outputTokens = r.contentEvents ?? 0;
      // `data: [DONE]` alone (or after a role or usage chunk) is no answer: nothing said and nothing finished, it is
      // as empty as a stream that closed with nothing — counted completed, a target that answered every request so
      // passed `errors<0.1%` with not one token.
      if (!r.code && (!this.sawDone || !this.answered)) r.code = this.notStream ? 'not_a_stream' : 'incomplete_stream';
    } else {
      const bytes = this.body.length && !this.unread ? Buffer.concat(this.body) : undefined;
      const text = bytes ? (this.o.anthropic ? chatFromMessage(bytes, this.backend) : bytes).toString('utf8') : '';
      const j = text.length ? parse(text) : undefined;
      if (okStatus) {
        // Past what the bench keeps, the body is not read: whether it is an answer (or an error body, or cut JSON), and
        // its usage, are unknown. Counted completed with 0 tokens, it passed every verdict unseen and pulled the
        // run's tokens/s down; it is its own outcome now, never throughput.
        if (this.unread) r.code = 'unread_body';
        else if (!j) r.code = 'invalid_body';
        else if (j.error) {
          // A 200 whose body is an error (a gateway's quota or upstream failure, an Anthropic error body) is no answer,
          // as such an event fails a stream: counted completed, it passed `errors<0.1%` with every request failing.
          r.code = label(j.error.code) ?? 'error_body';
          const type = label(j.error.type);
          if (type) r.errorType = type;
        } else if (!Array.isArray(j.choices) || !readable(j.choices[0])) {
          // No choice with a message (no choices, `choices: []`, `[null]`, a choice without one): nothing a client reads
          // an answer from (`choices[0].message.content` throws), as a stream that says and finishes nothing is none.
          // Only a missing array was caught: a target answering every request 200 {"choices":[]} read 100 % completed.
          r.code = 'invalid_body';
        } else {
          if (j.usage) this.usage(j.usage);
          const backend = label(j.system_fingerprint);
          if (backend) r.backend = backend;
          const content = (j.choices?.[0] as { message?: { content?: string } } | undefined)?.message?.content;
          if (this.o.keepText && typeof content === 'string') this.text = content;
        }
      } else {
        r.code = label(j?.error?.code) ?? `http_${r.status}`;
        const type = label(j?.error?.type);
        if (type) r.errorType = type;
      }
    }
    r.ok = okStatus && !r.code;
    this.finish();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    const code = (err as { code?: string }).code;
    this.rec.code ??= this.rec.status ? (this.o.stream ? 'incomplete_stream' : 'incomplete_body') : connectionCode(code);
    this.rec.ok = false;
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.rec.e2el = performance.now() - this.t0;
    if (this.o.keepText) this.rec.text = this.textParts.length ? this.text + this.textParts.join('') : this.text;
    this.o.done(this.rec);
  }
}

/** A choice a client reads an answer from: a chat choice's message, or a completion's text. */
export function readable(c: unknown): boolean {
  if (!c || typeof c !== 'object') return false;
  const { message, text } = c as { message?: unknown; text?: unknown };
  return (!!message && typeof message === 'object') || typeof text === 'string';
}

/** Absent, or a whole number of tokens an answer can have. */
function validCount(n: unknown): boolean {
  return n === undefined || n === null || (Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_REPORTED_TOKENS);
}

function connectionCode(code: string | undefined): string {
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'client_timeout';
  if (code === 'UND_ERR_ABORTED') return 'aborted';
  return 'connection_error';
}
