/**
 * One request's record, written as it moves through the stages (relay: status, bytes, first token, usage,
 * cuts; tenants: counted tokens; gateway: model, tenant, backend) and read once at its end, when it
 * becomes the `request` event. A leaf: the stages that write it need nothing else of the gateway.
 */
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
  /** gen_ai_provider_name of the backend that served it (`openai`, `anthropic`, `azure.openai`). */
  provider: string | undefined;
  /** The model the backend's answer named. */
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

  /** The finished record as the bus's `request` event (built field by field: cheaper than spreads). */
  toEvent(): RequestEvent {
    return {
      type: 'request',
      ts: Date.now(),
      requestId: this.requestId,
      endpoint: this.endpoint ?? '',
      model: this.model,
      upstreamModel: this.upstreamModel,
      backend: this.backend,
      provider: this.provider,
      responseModel: this.responseModel,
      cachedInputTokens: this.cachedInputTokens,
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
    };
  }
}
