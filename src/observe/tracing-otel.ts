/**
 * The tracer behind tracing.ts when `observe.tracing` is set: the official OpenTelemetry SDK (BasicTracerProvider,
 * BatchSpanProcessor, OTLP/HTTP exporter to {otlp}/v1/traces), parent-based ratio sampling, W3C trace context.
 * Loaded only by createTracing's dynamic import: nothing here runs, or is even read, while tracing is off.
 */
import { trimEndRun } from '../core/trim-run.js';
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, TraceState, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { type ClientRequest, Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ownString } from '../core/own-string.js';
import { printable } from '../core/printable.js';
import { spanOperation } from './genai-names.js';
import {
  type AttemptOutcome,
  type AttemptSpan,
  type AttemptStart,
  MAX_CONTENT_CHARS,
  type RequestSpan,
  type RequestStart,
  type SpanFields,
  type Tracing,
  type TracingConfig,
} from './tracing.js';

/** Longest identifier-like value kept (a model name, a response id); clients and backends choose these. */
const MAX_NAME = 256;
const MAX_REASONS = 16;
/** Longest prompt or answer text kept with captureContent. */
export const MAX_CONTENT_BYTES = MAX_CONTENT_CHARS;

/** SpanFields → attribute names of the OpenTelemetry GenAI semantic conventions (and aigw's own, prefixed). */
const NAMES: Readonly<Record<Exclude<keyof SpanFields, 'ttftMs'>, string>> = {
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  provider: 'gen_ai.provider.name',
  responseId: 'gen_ai.response.id',
  finishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cachedInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  cacheWriteInputTokens: 'gen_ai.usage.cache_creation.input_tokens',
  maxTokens: 'gen_ai.request.max_tokens',
  temperature: 'gen_ai.request.temperature',
  topP: 'gen_ai.request.top_p',
  stream: 'gen_ai.request.stream',
  tenant: 'aigw.tenant',
  backend: 'aigw.backend',
  requestId: 'aigw.request_id',
};

/** How long the exporter waits for the collector per batch (the OTLP exporter retries within it). */
const EXPORT_TIMEOUT_MS = 10_000;

interface AddRequest {
  addRequest(req: ClientRequest, options: unknown): void;
}

/**
 * `agent`, each of whose requests is ended once it has run `ms`, whatever it waits for. The OTLP exporter's own
 * timeout is the socket's idle time (req.setTimeout): a collector, or a proxy before it, that answered an export and
 * then sent its body a byte every few seconds (up to the exporter's 4 MiB) held that export for good — a batch's spans
 * and its JSON kept, one of the exporter's concurrencyLimit slots taken; a few such answers and every later batch was
 * refused at once, the spans dropped. Through addRequest (internal to node:http, and what agent-base and the proxy
 * agents override): every request an agent sends passes there, on a new connection or a kept one.
 */
export function withDeadline<A extends HttpAgent>(agent: A, ms: number): A {
  const inner = agent as unknown as AddRequest;
  const add = inner.addRequest.bind(agent);
  inner.addRequest = (req, options) => {
    const timer = setTimeout(() => req.destroy(new Error(`the collector took longer than ${ms} ms`)), ms).unref();
    // A request kept alive is over (destroyed, for node:http) once its answer ends: 'close' then, and the timer goes.
    req.once('close', () => clearTimeout(timer));
    add(req, options);
  };
  return agent;
}

/** Longest reason quoted for a failed export: the collector's status text, or a socket error. */
const MAX_REASON = 200;

/** A collector's failure is said at most this often: one that fails every other batch is not a line a second. */
const SAY_FAILING_EVERY_MS = 60_000;

/**
 * The exporter, telling the operator when exports start failing and when they recover (once each way: a collector
 * down for an hour is two lines, not one a second; one that flaps, a failure a minute at most, and its recovery only
 * after a failure said). The SDK says nothing without a diag logger, so a collector's wrong URL, refused token or
 * outage dropped every span without a word — traces "just missing".
 */
export class ReportingExporter implements SpanExporter {
  private failing = false;
  /** Whether this run of failures has been said (a recovery is said only then). */
  private failingSaid = false;
  private failingSaidAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly inner: SpanExporter,
    private readonly say: (line: string) => void,
    private readonly sayEveryMs = SAY_FAILING_EVERY_MS,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      this.note(result);
      done(result);
    });
  }

  private note(result: ExportResult): void {
    if (result.code === ExportResultCode.SUCCESS) {
      if (this.failing && this.failingSaid) this.say('aigw: trace export recovered\n');
      this.failing = false;
      return;
    }
    if (!this.failing) {
      this.failing = true;
      this.failingSaid = false;
    }
    const now = performance.now();
    // Still failing once the minute is over: said then, so the last line read is never a "recovered" that no longer holds.
    if (this.failingSaid || now - this.failingSaidAt < this.sayEveryMs) return;
    this.failingSaid = true;
    this.failingSaidAt = now;
    const reason = printable(result.error?.message || 'no reason given', MAX_REASON);
    this.say(`aigw: warning: trace export failing (${reason}); spans are dropped until the collector answers\n`);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** How finished spans wait for the collector: the BatchSpanProcessor's queue and batches, the exporter's requests. */
export interface SpanQueue {
  /** Spans waiting; past it, new spans are dropped (the SDK says so once through its diag logger). */
  maxQueueSize: number;
  maxExportBatchSize: number;
  /** Batch requests in flight at once: a flush sends the whole queue at once, so it fits a full queue's batches. */
  concurrencyLimit: number;
  /**
   * How long the processor waits for one batch: longer than the exporter's own deadline, so the exporter always
   * gives up first — a batch abandoned while its request still runs would let another start beside it. A request
   * lasts EXPORT_TIMEOUT_MS at most (withDeadline), and the exporter starts a retry only within that time: a batch's
   * export, retries included, is over within two of them.
   */
  exportTimeoutMillis: number;
}

/**
 * The queue's bound, by what a span may hold. Without content a span is a few hundred bytes of names and numbers:
 * 8,192 of them ride out a collector's restart. With captureContent one holds up to 16 Ki characters of prompt
 * and as many of answer (~68 KiB measured for a non-Latin prompt), and while the collector was down or hung the
 * 8,192 queued spans held ~550 MB, whatever sampleRatio says (a client's sampled traceparent is followed). With
 * content 256 spans (~17 MiB) wait and at most 5 batches of 64 are in flight (one but on a flush): 576 spans
 * (~38 MiB) at most, and the JSON of the batches being sent.
 */
export function spanQueue(captureContent: boolean): SpanQueue {
  const [maxQueueSize, maxExportBatchSize] = captureContent ? [256, 64] : [8192, 512];
  return {
    maxQueueSize,
    maxExportBatchSize,
    concurrencyLimit: Math.ceil(maxQueueSize / maxExportBatchSize) + 1,
    exportTimeoutMillis: 2 * EXPORT_TIMEOUT_MS + 5000,
  };
}

function cut(s: string): string {
  return wellFormed(s.length > MAX_NAME ? s.slice(0, MAX_NAME) : s);
}

/**
 * A lone surrogate (a client's `"model": "\ud800"`, or a pair cut by a bound) as U+FFFD: the OTLP JSON exporter writes it
 * as a `\ud800` escape, which strict decoders (Go's protojson: "invalid escape code") refuse, with the whole batch.
 */
function wellFormed(s: string): string {
  const w = s as unknown as { isWellFormed(): boolean; toWellFormed(): string };
  return w.isWellFormed() ? s : w.toWellFormed();
}

/** Only the named fields, each of its declared type: a value of any other type is dropped, never coerced. */
export function toAttributes(f: SpanFields): Attributes {
  const out: Attributes = {};
  for (const key of Object.keys(NAMES) as (keyof typeof NAMES)[]) {
    const v = f[key];
    if (typeof v === 'string') out[NAMES[key]] = cut(v);
    else if (typeof v === 'number' && Number.isFinite(v)) out[NAMES[key]] = v;
    else if (typeof v === 'boolean') out[NAMES[key]] = v;
    else if (Array.isArray(v))
      out[NAMES[key]] = v
        .filter((x): x is string => typeof x === 'string')
        .slice(0, MAX_REASONS)
        .map(cut);
  }
  if (typeof f.ttftMs === 'number' && Number.isFinite(f.ttftMs)) out['gen_ai.response.time_to_first_chunk'] = f.ttftMs / 1000;
  return out;
}

/** A traceparent of version 00 (W3C Trace Context §3.2): what every version begins with. */
const TRACEPARENT_CHARS = 55;
/** W3C's bound on what a tracestate carries on: 512 characters of list-members (§3.3.1.5). */
const TRACESTATE_CHARS = 512;

/**
 * The client's traceparent as the propagator should read it. Each span keeps the trace and parent ids, and the
 * propagator cuts them out of the header: views that keep the whole header alive. A later version may follow the 55
 * characters with fields of its own (§3.2.4), so a 15 KiB header parsed — and each of the 8,192 spans waiting for the
 * collector held 15 KiB where a few hundred bytes were budgeted (spanQueue). Only those 55 characters are read, copied.
 */
export function traceparentOf(v: string | string[] | undefined): string | undefined {
  const tp = Array.isArray(v) ? v[0] : v;
  // The version's 55 and the blank the propagator allows on each side.
  if (tp === undefined || tp.length <= TRACEPARENT_CHARS + 2) return tp;
  const t = tp.trim();
  // Version 00 is exactly 55 characters and a later one's fields follow a '-' after them: anything else is no
  // traceparent (the propagator refuses it too).
  if (t.startsWith('00') || t.length <= TRACEPARENT_CHARS || t.charCodeAt(TRACEPARENT_CHARS) !== 0x2d) return undefined;
  return ownString(t.slice(0, TRACEPARENT_CHARS));
}

/**
 * The client's tracestate as the propagator should read it. A span keeps its trace's TraceState, and TraceState keeps
 * the header it was made from whatever it reads of it (512 characters of members): a client's 15 KiB of tracestate
 * with a sampled traceparent was held by every queued span — 8,192 of them ~120 MiB, beside the batches in flight.
 * A longer value is read here, and what it carries on (as the propagator would) is given as a string of its own.
 */
export function tracestateOf(v: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(v) ? v.join(',') : v;
  if (raw === undefined || raw.length <= TRACESTATE_CHARS) return raw;
  const kept = new TraceState(raw).serialize();
  return kept === '' ? undefined : ownString(kept);
}

const getter: TextMapGetter<RequestStart> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (c, key) => (key === 'traceparent' ? traceparentOf(c.traceparent) : key === 'tracestate' ? tracestateOf(c.tracestate) : undefined),
};

const setter = {
  set(carrier: Record<string, string>, key: string, value: string) {
    carrier[key] = value;
  },
};

/** server.address and server.port of a backend URL; never its path, query or credentials. */
function serverOf(url: string | undefined): Attributes {
  if (url === undefined) return {};
  try {
    const u = new URL(url);
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    return { 'server.address': u.hostname, 'server.port': port };
  } catch {
    return {};
  }
}

class OtelAttempt implements AttemptSpan {
  private ended = false;
  constructor(
    private readonly span: Span,
    readonly traceparent: string | undefined,
    readonly tracestate: string | undefined,
  ) {}

  end(o: AttemptOutcome): void {
    if (this.ended) return;
    this.ended = true;
    if (o.status !== undefined) this.span.setAttribute('http.response.status_code', o.status);
    if (o.errorType !== undefined) this.span.setAttribute('error.type', cut(o.errorType));
    // A client span: the backend's 4xx is this call's failure too (HTTP client conventions).
    if (o.errorType !== undefined || (o.status !== undefined && o.status >= 400))
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: o.errorType ?? String(o.status) });
    this.span.end();
  }
}

class OtelRequestSpan implements RequestSpan {
  private ended = false;
  constructor(
    private readonly owner: OtelTracing,
    private readonly span: Span,
    private readonly context: Context,
    private readonly operation: string,
    readonly capturesContent: boolean,
  ) {}

  get recording(): boolean {
    return this.span.isRecording();
  }

  setAttributes(attrs: SpanFields): void {
    if (!this.span.isRecording()) return;
    this.span.setAttributes(toAttributes(attrs));
  }

  nameModel(model: string): void {
    if (this.span.isRecording()) this.span.updateName(`${this.operation} ${cut(model)}`);
  }

  recordContent(kind: 'input' | 'output', text: string | Buffer): void {
    if (!this.capturesContent || !this.span.isRecording()) return;
    const value =
      typeof text === 'string' ? wellFormed(text.slice(0, MAX_CONTENT_BYTES)) : text.subarray(0, MAX_CONTENT_BYTES).toString('utf8');
    this.span.setAttribute(kind === 'input' ? 'gen_ai.input.messages' : 'gen_ai.output.messages', value);
  }

  startAttempt(a: AttemptStart): AttemptSpan {
    // Nothing of this trace is recorded (sampled out here or by the client): the backend still gets the trace's
    // context, the request span's own, without a span, attributes or ids made per attempt only to be dropped.
    if (!this.span.isRecording()) {
      const carrier: Record<string, string> = {};
      this.owner.propagator.inject(this.context, carrier, setter);
      return { traceparent: carrier.traceparent, tracestate: carrier.tracestate, end: () => {} };
    }
    const attrs: Attributes = { 'gen_ai.operation.name': this.operation, 'aigw.backend': cut(a.backend), 'aigw.attempt': a.attempt };
    if (a.upstreamModel !== undefined) attrs['gen_ai.request.model'] = cut(a.upstreamModel);
    if (a.provider !== undefined) attrs['gen_ai.provider.name'] = cut(a.provider);
    Object.assign(attrs, serverOf(a.url));
    const name = `${this.operation} ${cut(a.upstreamModel ?? a.backend)}`;
    const span = this.owner.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes: attrs }, this.context);
    const carrier: Record<string, string> = {};
    this.owner.propagator.inject(trace.setSpan(this.context, span), carrier, setter);
    return new OtelAttempt(span, carrier.traceparent, carrier.tracestate);
  }

  end(status: number, errorType?: string, endedAt?: number): void {
    if (this.ended) return;
    this.ended = true;
    if (status > 0) this.span.setAttribute('http.response.status_code', status);
    if (errorType !== undefined) this.span.setAttribute('error.type', cut(errorType));
    // A server span: a 4xx is the client's mistake, not the server's failure (HTTP server conventions).
    if (status >= 500 || status === 0 || (errorType !== undefined && status < 400))
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: errorType ?? String(status) });
    // A performance.now() reading: the SDK takes a number no later than now as one.
    this.span.end(endedAt);
  }
}

export class OtelTracing implements Tracing {
  readonly enabled = true;
  readonly propagator = new W3CTraceContextPropagator();
  readonly tracer: Tracer;
  private readonly provider: BasicTracerProvider;

  constructor(
    private readonly config: TracingConfig,
    serviceVersion: string,
    say: (line: string) => void,
  ) {
    const { concurrencyLimit, ...queue } = spanQueue(config.captureContent);
    const exporter = new OTLPTraceExporter({
      url: `${trimEndRun(config.otlp, '/')}/v1/traces`,
      headers: { ...config.headers },
      timeoutMillis: EXPORT_TIMEOUT_MS,
      concurrencyLimit,
      // Kept alive, as the exporter's own agent is; each request bounded in all, not only while idle.
      httpAgentOptions: (protocol) =>
        withDeadline(protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true }), EXPORT_TIMEOUT_MS),
    });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'aigw', 'service.version': serviceVersion }),
      // A sampled client trace stays sampled (and an unsampled one unsampled); new traces keep sampleRatio of them.
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
      spanLimits: { attributeValueLengthLimit: MAX_CONTENT_BYTES, attributeCountLimit: 64, eventCountLimit: 16, linkCountLimit: 0 },
      spanProcessors: [new BatchSpanProcessor(new ReportingExporter(exporter, say), { ...queue, scheduledDelayMillis: 1000 })],
    });
    this.tracer = this.provider.getTracer('aigw', serviceVersion);
  }

  startRequest(start: RequestStart): RequestSpan {
    const parent = this.propagator.extract(ROOT_CONTEXT, start, getter);
    const operation = spanOperation(start.endpoint);
    const attributes: Attributes = { 'gen_ai.operation.name': operation, ...(start.attrs ? toAttributes(start.attrs) : {}) };
    const model = start.attrs?.requestModel;
    const span = this.tracer.startSpan(
      typeof model === 'string' ? `${operation} ${cut(model)}` : operation,
      { kind: SpanKind.SERVER, attributes },
      parent,
    );
    return new OtelRequestSpan(this, span, trace.setSpan(parent, span), operation, this.config.captureContent);
  }

  // A collector that is down costs the spans of that batch, never a failure of the gateway's own shutdown or reload.
  flush(): Promise<void> {
    return this.provider.forceFlush().catch(() => {});
  }

  /** Bounded: an unreachable collector is retried with backoff, and a gateway's drain must not wait for that. */
  shutdown(timeoutMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs).unref();
    });
    return Promise.race([this.provider.shutdown().catch(() => {}), late]).finally(() => clearTimeout(timer));
  }
}
