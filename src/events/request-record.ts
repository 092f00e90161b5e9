/**
 * One request's record, written as it moves through the stages (relay: status, bytes, first token, usage,
 * cuts; tenants: counted tokens; gateway: model, tenant, backend) and read once at its end, when it
 * becomes the `request` event. A leaf: the stages that write it need nothing else of the gateway.
 */
import { costMicroUsd, type Prices } from './cost.js';
import type { RequestEvent, TokenSource } from './types.js';
import { ownString } from '../core/own-string.js';

/** Longest answer text kept for a span (captureContent), and most finish reasons noted. */
const MAX_SAMPLE_CHARS = 16 * 1024;
const MAX_FINISH_REASONS = 16;

/**
 * What only a recording trace wants of the answer: its id, finish reasons and (with captureContent) its first
 * bytes. The gateway sets `RequestRecord.answerNotes` when the request's span records; the relays fill it.
 */
export class AnswerNotes {
  id: string | undefined;
  readonly finishReasons: string[] = [];
  private sampled: string[] | undefined;
  private sampledChars = 0;

  constructor(captureContent: boolean) {
    if (captureContent) this.sampled = [];
  }

  get wantsSample(): boolean {
    return this.sampled !== undefined && this.sampledChars < MAX_SAMPLE_CHARS;
  }

  finishReason(reason: string): void {
    if (this.finishReasons.length < MAX_FINISH_REASONS) this.finishReasons.push(reason);
  }

  /**
   * Appends answer text while under the cap (a stream's event data, a body's first bytes). Kept as a copy: the text
   * may be a view into more (V8 keeps the whole source of a slice of 13 characters or more — an event's data, of
   * its whole event), and a cut of it is one such slice: a span waiting for its collector kept each event it sampled,
   * up to limits.maxEventBytes, where the queue's bound counts 16 Ki characters.
   */
  sample(text: string): void {
    if (!this.wantsSample) return;
    const piece = text.length > MAX_SAMPLE_CHARS - this.sampledChars ? text.slice(0, MAX_SAMPLE_CHARS - this.sampledChars) : text;
    this.sampled!.push(ownString(piece));
    // Each piece is charged the line feed it is joined with: charged its text alone, an event of empty data (a
    // backend's `data:` lines) cost nothing, and a stream of them grew the list — and the text joined — without end.
    this.sampledChars += piece.length + 1;
  }

  /** The sampled answer text; undefined without captureContent. */
  get text(): string | undefined {
    return this.sampled?.join('\n');
  }
}

export class RequestRecord {
  readonly startedAt = performance.now();
  /**
   * When the response was over (performance.now), set as the request ends — before its settle stage, which may wait
   * for the tokenizer thread or a shared store: what the event's duration ends at.
   */
  endedAt: number | undefined;
  /** The API the client called (`chat`, `completions`, `embeddings`); undefined for non-proxy routes. */
  endpoint: string | undefined;
  /** The public model the client asked for. */
  model = '';
  stream = false;
  tenant: string | undefined;
  /**
   * The request passed its admit stage: its tenant's limits counted it (a request of `rpm`, a reservation of `tpm`),
   * whether or not any attempt followed (RequestEvent.admitted).
   */
  admitted = false;
  /** When (ms since the epoch) the limits admitted it: the bucket they count it in (RequestEvent.admittedTs). */
  admittedTs: number | undefined;
  /** The tokens the limits reserved for it at admission, counted until it settles (/aigw/stats reads them in flight). */
  reservedTokens = 0;
  /** The spend (USD) its tenant's budget reserved for it at admission, counted until it settles. */
  reservedUsd = 0;
  /** The backend that served the answer, and the model name it was sent (absent when none did). */
  backend: string | undefined;
  upstreamModel: string | undefined;
  /** The public model an escalation rule routed the request to (absent when `model` routed it). */
  routedModel: string | undefined;
  /** The prices of the target that served the answer, when it has any (its cost is then known). */
  pricing: Prices | undefined;
  /** The context window of the target that served the answer, when its profile declares one (bounds its counts). */
  contextWindow: number | undefined;
  /**
   * The most output the request sent to that target lets it generate, when a translation chose it (translate/pairs.ts
   * outputLimit): bounds its output count as the client's max_tokens does.
   */
  outputLimit: number | undefined;
  /** gen_ai provider name (metrics dialect) of the backend last tried, from its kind. */
  provider: string | undefined;
  /** The `model` the backend's answer named (its body, or its first stream event). */
  responseModel: string | undefined;
  status = 0;
  ttftMs: number | undefined;
  bytesOut = 0;
  attempts = 0;
  inputTokens = 0;
  outputTokens = 0;
  inputSource: TokenSource = 'none';
  outputSource: TokenSource = 'none';
  /** Prompt tokens the backend served from its cache (included in inputTokens), when it said. */
  cachedInputTokens: number | undefined;
  /** Prompt tokens the backend wrote to its cache (Anthropic's cache_creation_input_tokens; included in inputTokens). */
  cacheWriteInputTokens: number | undefined;
  /** Why a count is an estimate rather than exact, when it is (e.g. the prompt was over the counting budget). */
  countNote: string | undefined;
  /** The answer was cut after bytes went out (by aigw on purpose, or by a broken upstream). */
  truncated = false;
  /** The client went away before the answer was complete. */
  clientGone = false;
  /**
   * The backend worked on the request and no usage will say how much: the client left after it was sent and before
   * any answer began, an attempt timed out once sent, or a 2xx answer was refused as larger than the response buffer.
   * Settle charges at least what it reserved (an unpaid outcome a client can choose is a limit it can bypass). Any
   * attempt's work counts until a later attempt answers (gateway/attempts.ts): a fallback's failure measures nothing.
   */
  workedUnmetered = false;
  /** What settle charged the tenant for that work beyond the counted usage (RequestEvent.unmeteredCharge). */
  unmeteredCharge: { tokens: number; costUsd: number } | undefined;
  errorCode: string | undefined;
  /** The failure the request ended with was not its backend's (RequestEvent.excused). */
  excused = false;
  /** The failure's class for metrics and traces: the ErrorCode (never a backend's wire code). */
  errorType: string | undefined;
  /** Set only while the request's span records: the relays then also note the answer's id and finish reasons. */
  answerNotes: AnswerNotes | undefined;
  /**
   * A non-streamed answer that carried no usage, kept (bounded) so its output can be counted from its
   * content in the settle stage; `whole` is false when only its first bytes were kept.
   */
  unmetered: { bytes: Buffer; whole: boolean; size: number; encoding: string | undefined } | undefined;

  constructor(readonly requestId: string) {}

  /** Whether the client got (the start of) a successful answer. */
  get answered(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /**
   * What the answer cost in USD, from the counted tokens and the serving target's prices; undefined when
   * that target has no prices or nothing was answered. Read once the token counts are complete (settle).
   */
  get costUsd(): number | undefined {
    if (!this.pricing || !this.answered) return undefined;
    return costMicroUsd(this.pricing, this.inputTokens, this.cachedInputTokens ?? 0, this.outputTokens, this.cacheWriteInputTokens) / 1e6;
  }

  /** The finished record as the bus's `request` event (built field by field: cheaper than spreads). */
  toEvent(): RequestEvent {
    return {
      type: 'request',
      ts: Date.now(),
      requestId: this.requestId,
      endpoint: this.endpoint ?? '',
      model: this.model,
      upstreamModel: this.upstreamModel,
      routedModel: this.routedModel,
      backend: this.backend,
      provider: this.provider,
      responseModel: this.responseModel,
      errorType: this.errorType,
      cachedInputTokens: this.cachedInputTokens,
      cacheWriteInputTokens: this.cacheWriteInputTokens,
      tenant: this.tenant,
      admitted: this.admitted,
      admittedTs: this.admittedTs,
      status: this.status,
      stream: this.stream,
      durationMs: (this.endedAt ?? performance.now()) - this.startedAt,
      ttftMs: this.ttftMs,
      tokens: { input: this.inputTokens, output: this.outputTokens, inputSource: this.inputSource, outputSource: this.outputSource },
      bytesOut: this.bytesOut,
      attempts: this.attempts,
      clientAborted: this.clientGone,
      truncated: this.truncated,
      excused: this.excused ? true : undefined,
      errorCode: this.errorCode,
      countNote: this.countNote,
      costUsd: this.costUsd,
      unmeteredCharge: this.unmeteredCharge,
    };
  }
}
