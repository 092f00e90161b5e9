/** Every event the gateway publishes. `ts` is milliseconds since the epoch. */

export type TokenSource = 'usage' | 'tokenizer' | 'estimate' | 'none';

export interface RequestEvent {
  type: 'request';
  ts: number;
  requestId: string;
  endpoint: string;
  model: string;
  /** The model name sent upstream, and the backend that served the answer (absent when none did). */
  upstreamModel?: string | undefined;
  backend?: string | undefined;
  /** The public model an escalation rule sent the request to; `model` stays the one the client asked for. */
  routedModel?: string | undefined;
  /** What the answer cost in USD, from its usage and the serving target's `pricing` (absent when unpriced). */
  costUsd?: number | undefined;
  /**
   * What the tenant's limits were charged beyond the counted usage for work no usage measured — the backend worked and
   * no answer reached the client (it left first, an attempt timed out once sent): its reservation (tenants/admission.ts).
   * Counted in /aigw/stats `tenants.T.tpm` and `budget`, as the limits count it; not in `costUsd`, a price of answers.
   */
  unmeteredCharge?: { tokens: number; costUsd: number } | undefined;
  /** gen_ai.provider.name of the backend that answered, from backends.X.kind: openai, anthropic or azure.openai. */
  provider?: string | undefined;
  /** The `model` the backend's answer named (its body, or its first stream chunk); may differ from upstreamModel. */
  responseModel?: string | undefined;
  /** The failure's class for metrics and traces: the ErrorCode sent (never a backend's own wire code). */
  errorType?: string | undefined;
  /** Input tokens the backend served from its prompt cache (usage.prompt_tokens_details.cached_tokens). */
  cachedInputTokens?: number | undefined;
  /** Input tokens the backend wrote to its prompt cache (Anthropic's cache_creation_input_tokens), when it wrote any. */
  cacheWriteInputTokens?: number | undefined;
  tenant?: string | undefined;
  /**
   * The request passed admission: its tenant's limits charged it a request (and settled its tokens), whether or not
   * a backend was then tried — a full connection queue, a translation refused after admission are charged too.
   * What /aigw/stats counts as the tenant's `rpm.used`, as the limiter counts it.
   */
  admitted: boolean;
  /**
   * When its tenant's limits admitted it (ms since the epoch): they count the request, and settle its tokens, in that
   * moment's bucket of their window — not in its end's, which a long answer puts seconds later.
   */
  admittedTs?: number | undefined;
  status: number;
  stream: boolean;
  durationMs: number;
  ttftMs?: number | undefined;
  tokens: { input: number; output: number; inputSource: TokenSource; outputSource: TokenSource };
  bytesOut: number;
  attempts: number;
  /** The client went away before the answer was complete. */
  clientAborted: boolean;
  truncated: boolean;
  /**
   * The last attempt's failure was not its backend's: a deadline UpstreamErrorEvent.excused says, or a backend's error
   * event mid-stream that says the request's own fault (a 4xx other than 429), as a 4xx before the head would be.
   */
  excused?: true | undefined;
  errorCode?: string | undefined;
  /** Why a token count is an estimate (e.g. the prompt was over the exact-count budget). */
  countNote?: string | undefined;
}

/**
 * `incomplete_stream`: the backend ended a stream cleanly but without its end marker (`data: [DONE]`);
 * `event_too_large`: one event grew past limits.maxEventBytes.
 */
export type TruncationReason =
  | 'upstream_reset'
  | 'idle_timeout'
  | 'buffer_truncate'
  | 'incomplete_stream'
  | 'event_too_large'
  /** The gateway's drain deadline passed (a stopping gateway). */
  | 'shutdown';

export interface TruncationEvent {
  type: 'truncation';
  ts: number;
  requestId: string;
  model: string;
  backend: string;
  reason: TruncationReason;
  stream: boolean;
  bytesDelivered: number;
  /** From the upstream's content-length, when it sent one. */
  bytesExpected?: number;
}

/**
 * `queue`: no connection to the backend became free within its queue bounds (it was not tried). `local_resources`: the
 * gateway's own host refused it a connection (out of file descriptors or socket memory): the backend was never reached.
 */
export type UpstreamFailure =
  | 'connect_error'
  | 'timeout'
  | 'status'
  | 'bad_response'
  | 'stream_error'
  | 'idle_timeout'
  | 'queue'
  | 'local_resources';

export interface UpstreamErrorEvent {
  type: 'upstream_error';
  ts: number;
  requestId: string;
  model: string;
  backend: string;
  reason: UpstreamFailure;
  status?: number;
  message: string;
  /** Whether another attempt followed. */
  retried: boolean;
  /**
   * Not the backend's failure: a first-byte deadline that the request's own length outlasted (a non-streamed answer's
   * head comes once it is whole) or that its wait for a connection used up. Its health does not count it, nor do the
   * backend's errors in /aigw/stats.
   */
  excused?: true | undefined;
}

export interface ReloadEvent {
  type: 'reload';
  ts: number;
  ok: boolean;
  message: string;
}

export interface RateLimitEvent {
  type: 'ratelimit';
  ts: number;
  requestId: string;
  tenant: string;
  model: string;
  kind: 'tokens' | 'requests' | 'concurrency' | 'budget';
  /** -1 when the request can never be admitted. */
  retryAfterMs: number;
}

export interface EjectionEvent {
  type: 'ejection';
  ts: number;
  backend: string;
  ejected: boolean;
  cooldownMs: number;
  /** Why: the failure that ejected it (`status: HTTP 503`, `connect_error: ECONNREFUSED`), or `answered`. */
  reason?: string;
}

export interface LimitsStoreEvent {
  type: 'limits_store';
  ts: number;
  ok: boolean;
  message: string;
}

export type GatewayEvent =
  | RequestEvent
  | TruncationEvent
  | UpstreamErrorEvent
  | ReloadEvent
  | RateLimitEvent
  | EjectionEvent
  | LimitsStoreEvent;
