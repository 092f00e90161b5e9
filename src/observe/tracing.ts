/**
 * Tracing for the request path: one server span per request, one client span per upstream attempt, W3C trace
 * context in and out. When `observe.tracing` is absent the gateway holds NOOP_TRACING and loads none of the
 * OpenTelemetry SDK; only createTracing with a config imports it (tracing-otel.ts).
 */
import type { Profile } from '../profile/schema.js';

export type TracingConfig = NonNullable<Profile['observe']['tracing']>;

/** Longest prompt or answer text kept in a span with captureContent (in UTF-16 units, as JavaScript counts). */
export const MAX_CONTENT_CHARS = 16 * 1024;

/**
 * What the request path may tell a span: named fields only, so nothing else (a header, a key) can get in.
 * Strings are cut to a bounded length; mapped to the GenAI semantic conventions in tracing-otel.ts.
 */
export interface SpanFields {
  /** The public model the client asked for (on the request span), or the upstream name (on an attempt). */
  requestModel?: string;
  responseModel?: string;
  /** gen_ai.provider.name: openai, anthropic, azure.ai.openai (genai-names.ts spanProvider). */
  provider?: string;
  responseId?: string;
  finishReasons?: readonly string[];
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  cacheWriteInputTokens?: number;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stream?: boolean;
  tenant?: string;
  backend?: string;
  requestId?: string;
  /** Milliseconds from the request's start to its first streamed token. */
  ttftMs?: number;
}

export interface RequestStart {
  /** The client's `traceparent` and `tracestate` headers, as node:http gives them (absent, a string, or repeated). */
  traceparent?: string | string[] | undefined;
  tracestate?: string | string[] | undefined;
  /** The aigw endpoint: chat, completions, embeddings, messages. */
  endpoint: string;
  attrs?: SpanFields;
}

export interface AttemptStart {
  backend: string;
  /** 1 for the first try of a request, counting fallbacks and retries. */
  attempt: number;
  upstreamModel?: string;
  provider?: string;
  /** The backend's base URL: its host and port become server.address and server.port (never its path or query). */
  url?: string;
}

export interface AttemptOutcome {
  status?: number;
  /** Why the attempt failed, as a low-cardinality class (connect_error, timeout, status, stream_error …). */
  errorType?: string;
}

export interface AttemptSpan {
  /** The `traceparent` to send upstream (this attempt's span as the parent); undefined when tracing is off. */
  readonly traceparent: string | undefined;
  /** The client's `tracestate`, to send upstream with it (undefined when none, or when tracing is off). */
  readonly tracestate: string | undefined;
  end(outcome: AttemptOutcome): void;
}

export interface RequestSpan {
  /** False when tracing is off or this trace is not sampled: the request path may skip building fields. */
  readonly recording: boolean;
  /** Whether recordContent keeps anything (observe.tracing.captureContent). */
  readonly capturesContent: boolean;
  setAttributes(attrs: SpanFields): void;
  /**
   * Names the span `{operation} {model}`. Only for a model the profile routes: trace backends index span names and span
   * metrics label them (Jaeger's operations, spanmetrics' `span_name`), so a name a client made up must not become one.
   */
  nameModel(model: string): void;
  /**
   * Prompt or answer text, kept only with captureContent: true (as gen_ai.input.messages / gen_ai.output.messages).
   * At most the first 16 KiB are read, so the cost is bounded whatever the prompt's size.
   */
  recordContent(kind: 'input' | 'output', text: string | Buffer): void;
  startAttempt(a: AttemptStart): AttemptSpan;
  /**
   * Ends the request span: the HTTP status sent (0 when none was), the failure's class (an ErrorCode), and when the
   * response was over (performance.now; now when not given) — the settle stage after it is not the request's time.
   */
  end(status: number, errorType?: string, endedAt?: number): void;
}

export interface Tracing {
  readonly enabled: boolean;
  startRequest(start: RequestStart): RequestSpan;
  /** Exports what is buffered (tests, and before a reload replaces the tracer). */
  flush(): Promise<void>;
  /** Flushes and stops the exporter; never rejects, and waits at most `timeoutMs` (default 2 s) for a slow collector. */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** The attempt span of a request that is not traced (shared: nothing is allocated for it). */
export const NOOP_ATTEMPT: AttemptSpan = { traceparent: undefined, tracestate: undefined, end() {} };

/** The span of a request that is not traced (shared: nothing is allocated for it). */
export const NOOP_SPAN: RequestSpan = {
  recording: false,
  capturesContent: false,
  setAttributes() {},
  nameModel() {},
  recordContent() {},
  startAttempt: () => NOOP_ATTEMPT,
  end() {},
};

/** Tracing off: one shared object, no allocation per request, no OpenTelemetry module loaded. */
export const NOOP_TRACING: Tracing = {
  enabled: false,
  startRequest: () => NOOP_SPAN,
  flush: async () => {},
  shutdown: async () => {},
};

/** The tracer for a profile: NOOP_TRACING without `observe.tracing`, else the OpenTelemetry SDK, loaded now. */
export async function createTracing(
  config: TracingConfig | undefined,
  serviceVersion = 'dev',
  // Where a failing (and recovered) export is said: the gateway's warnings go to stderr.
  say: (line: string) => void = (line) => process.stderr.write(line),
): Promise<Tracing> {
  if (!config) return NOOP_TRACING;
  const { OtelTracing } = await import('./tracing-otel.js');
  return new OtelTracing(config, serviceVersion, say);
}
