/**
 * The bench's single-request client (long, split, ratelimit, sweep, accounting, errors): whole bodies or
 * streamed events, each paced under the target's limits and counted in the live view.
 */
import { request } from 'undici';
import { SseDecoder, type SseEvent } from '../openai/sse.js';
import { backendOf, chatFromMessage, EventsToChunks, MESSAGES_PATH, messagesBody } from './anthropic-api.js';
import { authHeaders, type BenchContext } from './context.js';
import { DRAIN_MS } from './driver.js';
import { contentCoding, label, notStreamType } from './record.js';
import { reservation } from './workload.js';
import { timerDelay } from '../core/timer-delay.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body ended cleanly (false: the connection was cut). */
  complete: boolean;
  /** Not sent: the pacer says it can never fit the key's budget. */
  skipped?: string;
  /** Still coming at its deadline (answerDeadlineMs): cut by the bench. */
  cutAtDeadline?: boolean;
}

export interface SendOptions {
  /** false for requests the gateway refuses before admission (bad JSON, oversize bodies): they cost no budget. */
  pace?: boolean;
  headers?: Record<string, string>;
  path?: string;
  /** Bytes of body kept; beyond, the answer is abandoned as `complete: false` (a target cannot exhaust the bench). */
  maxBytes?: number;
  /**
   * Aborts the request (the answer comes back `complete: false`, or status 0 before its head); absent, the run's own
   * (ctx.signal: Ctrl-C or the scenario's budget). Sent without it, split's, accounting's and ratelimit's requests held an
   * interrupt until their answer deadline — a minute and --duration against a target holding its answers.
   */
  signal?: AbortSignal | undefined;
}

/** What post() keeps by default; long and sweep, which ask for big answers, raise it. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** One SSE event larger than this ends the stream on the bench's side (aigw's own default maxEventBytes). */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024;

/**
 * How long one answer may take, as the load's requests: the scenario's --duration and a minute. Headers and
 * body timeouts bound only the silences; a target that trickles a byte every few seconds would hold a `long`
 * answer (or an `errors` case) for days.
 */
export function answerDeadlineMs(ctx: Pick<BenchContext, 'durationMs' | 'drainMs'>): number {
  return (ctx.durationMs || 0) + (ctx.drainMs ?? DRAIN_MS);
}

/**
 * The interrupt (if any) and the answer's deadline, as one signal; `expired()` says the deadline fired, `clear()`
 * stops its timer. A timer and a controller, not `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: that
 * timeout signal is held only weakly, and a garbage collection before it fires leaves the answer without a
 * deadline (nodejs/node#57736; Node 20 has it).
 */
export function withDeadline(
  ctx: Pick<BenchContext, 'durationMs' | 'drainMs'>,
  signal: AbortSignal | undefined,
  /** A second signal that ends it too (the run's, beside an SDK's own). */
  also?: AbortSignal,
): { signal: AbortSignal; expired(): boolean; clear(): void } {
  const ac = new AbortController();
  let expired = false;
  const timer = setTimeout(
    () => {
      expired = !ac.signal.aborted;
      ac.abort(new Error('cut_at_deadline'));
    },
    timerDelay(answerDeadlineMs(ctx)),
  );
  // The deadline bounds an answer; it must not keep a finished run alive.
  timer.unref();
  const sources = [signal, also].filter((x): x is AbortSignal => x !== undefined);
  const interrupt = () => ac.abort(sources.find((x) => x.aborted)?.reason);
  for (const x of sources) {
    if (x.aborted) interrupt();
    else x.addEventListener('abort', interrupt, { once: true });
  }
  return {
    signal: ac.signal,
    expired: () => expired,
    clear: () => {
      clearTimeout(timer);
      for (const x of sources) x.removeEventListener('abort', interrupt);
    },
  };
}

export function chatBody(ctx: BenchContext, content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: ctx.model, messages: [{ role: 'user', content }], ...extra };
}

const flat = (h: Answer['headers']): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && /^(x-ratelimit-|retry-after)/.test(k)) out[k] = String(v);
  return out;
};

function errorOf(body: Buffer): { code?: string; type?: string } {
  if (body.length > 65536) return {};
  try {
    const e = (JSON.parse(body.toString()) as { error?: { code?: unknown; type?: unknown } }).error;
    const code = label(e?.code);
    const type = label(e?.type);
    return { ...(code ? { code } : {}), ...(type ? { type } : {}) };
  } catch {
    return {};
  }
}

/** Waits for the pacer; the release to call when the answer is in, or the reason it will never be sent. */
async function admit(ctx: BenchContext, body: unknown, bytes: number, opts: SendOptions): Promise<{ release(): void } | string> {
  if (!ctx.pacer || opts.pace === false) return { release() {} };
  const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const a = await ctx.pacer.acquire(reservation(fields, bytes), Number.POSITIVE_INFINITY, ctx.signal);
  return a.ok ? a : a.reason;
}

function settle(ctx: BenchContext, a: Answer, t0: number, streamCode: string | undefined, signal: AbortSignal | undefined): void {
  const ok = a.status >= 200 && a.status < 300 && a.complete && !streamCode;
  // Cut by the bench's own interrupt: what the target would have answered is unknown — neither the pacer nor
  // the figures hear of it.
  if (!ok && signal?.aborted) return;
  const e = ok ? {} : errorOf(a.body);
  const code = a.cutAtDeadline
    ? 'cut_at_deadline'
    : (streamCode ?? e.code ?? (a.status === 0 ? 'connection_error' : !a.complete ? 'incomplete' : `http_${a.status}`));
  ctx.pacer?.observe({ status: a.status, errorType: e.type, limits: flat(a.headers) });
  ctx.live.record({
    ok,
    status: a.status,
    e2el: performance.now() - t0,
    ...(ok ? {} : { code }),
    ...(e.type ? { errorType: e.type } : {}),
  });
}

/** Where a request goes and what it says, in the API the bench speaks to the target. */
function wire(ctx: BenchContext, body: unknown, path: string | undefined): { url: string; text: string; anthropic: boolean } {
  const anthropic = ctx.api === 'anthropic' && path === undefined;
  const wireBody = anthropic && body && typeof body === 'object' ? messagesBody(body as Record<string, unknown>) : body;
  const text = typeof wireBody === 'string' ? wireBody : JSON.stringify(wireBody);
  return { url: `${ctx.target.url}${path ?? (anthropic ? MESSAGES_PATH : '/v1/chat/completions')}`, text, anthropic };
}

/**
 * An Anthropic answer read back as chat, its content-length now the new body's — only when it came whole
 * (a body shorter than it declared stays as it came, so a cut is still seen as one).
 */
function asChat(a: Answer): Answer {
  const declared = Number(a.headers['content-length'] ?? Number.NaN);
  if (!a.complete || a.body.length < declared) return a;
  const body = chatFromMessage(a.body, backendOf(a.headers));
  return { ...a, body, headers: { ...a.headers, 'content-length': String(body.length) } };
}

export async function post(ctx: BenchContext, body: unknown, opts: SendOptions = {}): Promise<Answer> {
  const { url, text, anthropic } = wire(ctx, body, opts.path);
  const admitted = await admit(ctx, body, text.length, opts);
  if (typeof admitted === 'string') return { status: 0, headers: {}, body: Buffer.alloc(0), complete: false, skipped: admitted };
  const t0 = performance.now();
  const signal = opts.signal ?? ctx.signal;
  const deadline = withDeadline(ctx, signal);
  let answer: Answer;
  try {
    const r = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(ctx), ...opts.headers },
      body: text,
      signal: deadline.signal,
      headersTimeout: 300_000,
      bodyTimeout: 300_000,
    });
    const chunks: Buffer[] = [];
    let complete = true;
    let kept = 0;
    const max = opts.maxBytes ?? MAX_BODY_BYTES;
    try {
      for await (const c of r.body) {
        kept += (c as Buffer).length;
        if (kept > max) {
          complete = false;
          r.body.destroy();
          break;
        }
        chunks.push(c as Buffer);
      }
    } catch {
      complete = false;
    }
    answer = { status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks), complete };
    if (anthropic) answer = asChat(answer);
  } catch {
    answer = { status: 0, headers: {}, body: Buffer.alloc(0), complete: false };
  }
  deadline.clear();
  if (deadline.expired() && !answer.complete) answer = { ...answer, cutAtDeadline: true };
  settle(ctx, answer, t0, undefined, signal);
  admitted.release();
  return answer;
}

export interface StreamObserver {
  onEvent(ev: SseEvent, at: number): void;
}

export interface StreamAnswer {
  status: number;
  complete: boolean;
  bytes: number;
  skipped?: string;
  /** Still coming at its deadline (answerDeadlineMs): cut by the bench. */
  cutAtDeadline?: boolean;
  /**
   * The code of an error event the stream carried before its [DONE] (openai-node throws on one, whatever came before): the
   * answer failed, however whole its text.
   */
  errorEvent?: string;
  /** A 2xx that said it was no stream (record.ts notStreamType): its media type. */
  notStream?: string;
  /** A 2xx in a content coding the bench did not ask for (record.ts contentCoding): its bytes are no events. */
  coding?: string;
}

/** Streams a completion; each event is reported with its arrival time (ms since the request started). */
export async function stream(
  ctx: BenchContext,
  body: Record<string, unknown>,
  obs: StreamObserver,
  /** As post()'s: absent, the run's own. */
  given?: AbortSignal,
): Promise<StreamAnswer> {
  const signal = given ?? ctx.signal;
  const { url, text, anthropic } = wire(ctx, { ...body, stream: true }, undefined);
  const admitted = await admit(ctx, body, text.length, {});
  if (typeof admitted === 'string') return { status: 0, complete: false, bytes: 0, skipped: admitted };
  const t0 = performance.now();
  const deadline = withDeadline(ctx, signal);
  let out: StreamAnswer = { status: 0, complete: false, bytes: 0 };
  let headers: Answer['headers'] = {};
  const errorBody: Buffer[] = [];
  let done = false;
  let answered = false;
  let errorEvent: string | undefined;
  try {
    const r = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(ctx) },
      body: text,
      signal: deadline.signal,
      headersTimeout: 300_000,
      bodyTimeout: 300_000,
    });
    headers = r.headers;
    const decoder = new SseDecoder();
    const chunks = anthropic ? new EventsToChunks(backendOf(r.headers)) : undefined;
    const sink = {
      onEvent: (raw: SseEvent) => {
        // openai-node reads nothing after [DONE]: text sent after it is no text the client received.
        if (done && !chunks) return;
        const ev = chunks ? chunks.map(raw) : raw;
        if (!ev) return;
        if (ev.data === '[DONE]') done = true;
        else if (ev.data !== undefined) {
          if (!answered) answered = answers(ev.data);
          errorEvent ??= errorEventCode(ev.data);
        }
        obs.onEvent(ev, performance.now() - t0);
      },
    };
    let bytes = 0;
    let complete = true;
    let sinceEvent = 0;
    const sized = {
      onEvent: (ev: SseEvent) => {
        sinceEvent = 0;
        sink.onEvent(ev);
      },
    };
    try {
      for await (const c of r.body) {
        bytes += (c as Buffer).length;
        sinceEvent += (c as Buffer).length;
        if (sinceEvent > MAX_EVENT_BYTES) {
          // No event boundary in 16 MiB: not a stream the bench will hold in memory.
          complete = false;
          r.body.destroy();
          break;
        }
        if (r.statusCode !== 200) {
          if (bytes < 65536) errorBody.push(c as Buffer);
        } else decoder.push(c as Buffer, sized);
      }
      decoder.end(sized);
    } catch {
      complete = false;
    }
    const notStream = r.statusCode >= 200 && r.statusCode < 300 ? notStreamType(r.headers) : undefined;
    const coding = r.statusCode >= 200 && r.statusCode < 300 ? contentCoding(r.headers) : undefined;
    out = { status: r.statusCode, complete, bytes, ...(notStream ? { notStream } : {}), ...(coding ? { coding } : {}) };
  } catch {
    out = { status: 0, complete: false, bytes: 0 };
  }
  deadline.clear();
  if (deadline.expired() && !(out.complete && done)) out = { ...out, complete: false, cutAtDeadline: true };
  // A [DONE] after nothing said or finished ends no answer, as the load counts it (exchange.ts).
  if (errorEvent !== undefined && out.status === 200) out = { ...out, errorEvent };
  const whole = out.complete && done && answered;
  const cut = out.status === 200 && !whole ? (out.notStream ? 'not_a_stream' : 'incomplete_stream') : (out.errorEvent ?? undefined);
  const refusal = anthropic ? chatFromMessage(Buffer.concat(errorBody), undefined) : Buffer.concat(errorBody);
  const cutAtDeadline = out.cutAtDeadline ? { cutAtDeadline: true } : {};
  settle(ctx, { status: out.status, headers, body: refusal, complete: out.complete, ...cutAtDeadline }, t0, cut, signal);
  admitted.release();
  return out;
}

/**
 * Whether event data may be a JSON object, as JSON.parse reads one — after any JSON blanks (`data:  {…}`, `data:\t{…}`:
 * the SDKs' decoder takes one space away, and parse the rest): looked for at the first character, such an error event
 * passed unseen after a whole text (openai-node throws on it), and such text events were no text.
 */
const mayBeObject = (data: string) => /^[ \t\r\n]*\{/.test(data);

/** The code of an event that is an error (`{"error": …}`, as openai-node reads one), or undefined. */
function errorEventCode(data: string): string | undefined {
  // Parsed only when it may be one: a long answer's events are text.
  if (!mayBeObject(data) || !data.includes('"error"')) return undefined;
  try {
    const e = (JSON.parse(data) as { error?: { code?: unknown } | null }).error;
    return e ? (label(e.code) ?? 'stream_error') : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a stream chunk says something (text) or finishes the answer (a finish reason: a tool call's has no text). */
function answers(data: string): boolean {
  if (!mayBeObject(data)) return false;
  try {
    const choices = (JSON.parse(data) as { choices?: unknown }).choices;
    if (!Array.isArray(choices)) return false;
    return choices.some((c: { delta?: { content?: unknown } | null; text?: unknown; finish_reason?: unknown } | null) => {
      const t = c?.delta?.content ?? c?.text;
      return (typeof t === 'string' && t !== '') || (typeof c?.finish_reason === 'string' && c.finish_reason !== '');
    });
  } catch {
    return false;
  }
}

/**
 * The content text of one stream chunk (chat delta or completion text), or undefined — a string only: the chunk is
 * the target's, and a `content` of 5 or {} went on to Buffer.byteLength, whose TypeError ended the whole run.
 */
export function deltaText(data: string): string | undefined {
  if (!mayBeObject(data)) return undefined;
  try {
    const c = (JSON.parse(data) as { choices?: { delta?: { content?: unknown } | null; text?: unknown }[] }).choices?.[0];
    const t = c?.delta?.content ?? c?.text;
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}
