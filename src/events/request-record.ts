/**
 * One request's record, written as it moves through the stages (relay: status, bytes, first token, usage,
 * cuts; tenants: counted tokens; gateway: model, tenant, backend) and read once at its end, when it
 * becomes the `request` event. A leaf: the stages that write it need nothing else of the gateway.
 */
import { costMicroUsd, type Prices } from './cost.js';
import type { RequestEvent, TokenSource } from './types.js';

export class RequestRecord {
  readonly startedAt = performance.now();
  /** The API the client called (`chat`, `completions`, `embeddings`); undefined for non-proxy routes. */
  endpoint: string | undefined;
  /** The public model the client asked for. */
  model = '';
  stream = false;
  tenant: string | undefined;
  /** The backend that served the answer, and the model name it was sent (absent when none did). */
  backend: string | undefined;
  upstreamModel: string | undefined;
  /** The public model an escalation rule routed the request to (absent when `model` routed it). */
  routedModel: string | undefined;
  /** The prices of the target that served the answer, when it has any (its cost is then known). */
  pricing: Prices | undefined;
  status = 0;
  ttftMs: number | undefined;
  bytesOut = 0;
  attempts = 0;
  inputTokens = 0;
  outputTokens = 0;
  /** Input tokens the backend served from its prompt cache (usage.prompt_tokens_details.cached_tokens). */
  cachedInputTokens: number | undefined;
  inputSource: TokenSource = 'none';
  outputSource: TokenSource = 'none';
  /** Why a count is an estimate rather than exact, when it is (e.g. the prompt was over the counting budget). */
  countNote: string | undefined;
  /** The answer was cut after bytes went out (by aigw on purpose, or by a broken upstream). */
  truncated = false;
  /** The client went away before the answer was complete. */
  clientGone = false;
  errorCode: string | undefined;
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
    return costMicroUsd(this.pricing, this.inputTokens, this.cachedInputTokens ?? 0, this.outputTokens) / 1e6;
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
      tenant: this.tenant,
      status: this.status,
      stream: this.stream,
      durationMs: performance.now() - this.startedAt,
      ttftMs: this.ttftMs,
      tokens: { input: this.inputTokens, output: this.outputTokens, inputSource: this.inputSource, outputSource: this.outputSource },
      bytesOut: this.bytesOut,
      attempts: this.attempts,
      clientAborted: this.clientGone,
      truncated: this.truncated,
      errorCode: this.errorCode,
      countNote: this.countNote,
      cachedInputTokens: this.cachedInputTokens,
      costUsd: this.costUsd,
    };
  }
}
