/**
 * Everything known about one request as it moves through the stages, and its single ending: a `request`
 * event with what was routed, sent, counted and cut.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventBus } from '../events/bus.js';
import type { RequestEvent, TokenSource } from '../events/types.js';
import type { Endpoint } from './parse-request.js';

export class RequestContext {
  readonly startedAt = performance.now();
  endpoint: Endpoint | undefined;
  model = '';
  stream = false;
  tenant: string | undefined;
  backend: string | undefined;
  upstreamModel: string | undefined;
  status = 0;
  ttftMs: number | undefined;
  bytesOut = 0;
  attempts = 0;
  inputTokens = 0;
  outputTokens = 0;
  inputSource: TokenSource = 'none';
  outputSource: TokenSource = 'none';
  truncated = false;
  clientGone = false;
  errorCode: string | undefined;
  /** Headers every response to this request carries (OpenAI's x-ratelimit-* for a limited tenant). */
  extraHeaders: Record<string, string> | undefined;
  /** Runs once the response is over, before the request event (token counting, limit settlement). */
  onFinish: (() => Promise<void> | void) | undefined;
  private finished = false;
  /** Called when the client goes away before the response is complete (aborts the upstream). */
  onClientGone: (() => void) | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    private readonly bus: EventBus,
  ) {}

  /** Whether the client got (the start of) a successful answer. */
  get answered(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** Settles the request, once: its finish hook, then the request event. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const hook = this.onFinish?.();
    if (hook)
      void hook.then(
        () => this.publish(),
        () => this.publish(),
      );
    else this.publish();
  }

  private publish(): void {
    if (!this.bus.active || this.endpoint === undefined) return;
    // Built field by field (optional ones left undefined): cheaper than conditional spreads on every request.
    const event: RequestEvent = {
      type: 'request',
      ts: Date.now(),
      requestId: this.requestId,
      endpoint: this.endpoint,
      model: this.model,
      upstreamModel: this.upstreamModel,
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
    };
    this.bus.publish(event);
  }
}
