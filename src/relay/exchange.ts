/**
 * One attempt against one backend, as an undici dispatch handler: the response is a lifecycle
 * (start → data* → end | error) with a controller for pause/resume/abort. Until the first byte reaches the
 * client the attempt may still fail over; after it, a failure becomes a cut (an SSE error frame, or an
 * abortive close of a body) and a truncation event — never a retry, never a fabricated [DONE].
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { aigwError, type AigwError } from '../core/errors.js';
import type { EventBus } from '../events/bus.js';
import type { TruncationReason, UpstreamFailure } from '../events/types.js';
import type { RequestRecord } from '../events/request-record.js';
import { renderStreamErrorFrame } from '../openai/error-shape.js';
import { classifyError, retryAfterMs, statusFailsOver } from '../upstream/classify.js';
import { BodyRelay, type BufferPolicy } from './body-relay.js';
import type { Scrub } from '../core/scrub.js';
import type { Downstream } from './downstream.js';
import { downstreamHeaders } from './headers.js';
import { SseRelay } from './sse-relay.js';
import { normalizeUpstreamError } from './upstream-error.js';
import { usageIn } from './usage-tap.js';

export type AttemptOutcome =
  /** The client got an answer (whole or cut): nothing more to try. */
  | { kind: 'committed' }
  /** Failed before any byte reached the client. `error` is what the client gets if nothing else works. */
  | {
      kind: 'failed';
      failure: UpstreamFailure;
      /** The backend's HTTP status, when it answered one. */
      status?: number;
      error: AigwError;
      failsOver: boolean;
      retryAfterMs?: number;
      message: string;
    };

const MAX_ERROR_BODY = 64 * 1024;

/** What a relay needs from the profile: one object per runtime, shared by its requests. */
export interface RelayPolicy {
  buffer: BufferPolicy;
  /** One SSE event larger than this ends the stream with upstream_stream_error. */
  maxEventBytes: number;
  /** Removes configured secrets from a backend's error text. */
  scrub: Scrub;
}

type Mode = 'pending' | 'error-body' | 'sse' | 'body' | 'done';

export class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private mode: Mode = 'pending';
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private errorBody: Buffer[] = [];
  private errorBytes = 0;
  private sse: SseRelay | undefined;
  private body: BodyRelay | undefined;
  private readonly record: RequestRecord;
  private resolve!: (o: AttemptOutcome) => void;
  readonly outcome: Promise<AttemptOutcome>;
  /**
   * Called once at this attempt's first byte: a stream's first token, a body's response headers. Set when a
   * routing strategy learns from latency; unset, nothing more is measured.
   */
  onFirstByte: (() => void) | undefined;

  constructor(
    private readonly out: Downstream,
    private readonly bus: EventBus,
    private readonly backend: string,
    private readonly relay: RelayPolicy,
    /** aigw asked upstream for include_usage on the client's behalf: hold the usage chunk back. */
    private readonly dropUsageChunk: boolean,
  ) {
    this.record = out.record;
    this.outcome = new Promise((r) => (this.resolve = r));
  }

  /** Aborts the upstream request (the client left). */
  abort(): void {
    this.controller?.abort(Object.assign(new Error('client went away'), { code: 'AIGW_CLIENT_GONE' }));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.record.clientGone) this.abort();
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.controller = controller;
    if (status < 200) return;
    this.status = status;
    this.headers = headers;
    if (status >= 300) {
      this.mode = 'error-body';
      return;
    }
    const ct = headers['content-type'];
    if (this.record.stream || (typeof ct === 'string' && ct.startsWith('text/event-stream'))) {
      this.mode = 'sse';
      this.sse = new SseRelay(
        this.out,
        this.dropUsageChunk && !headers['content-encoding'],
        () => {
          this.record.ttftMs = performance.now() - this.record.startedAt;
          this.onFirstByte?.();
        },
        this.relay.maxEventBytes,
      );
    } else {
      this.mode = 'body';
      this.onFirstByte?.();
      this.body = new BodyRelay(this.out, this.relay.buffer, status, headers);
      if (this.body.overflowsUpFront()) this.finishBody(this.body.overflow());
    }
    this.out.attach(controller);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    switch (this.mode) {
      case 'error-body':
        if (this.errorBytes < MAX_ERROR_BODY) {
          this.errorBody.push(chunk);
          this.errorBytes += chunk.length;
        }
        return;
      case 'sse':
        if (!this.out.headersSent) this.startStream();
        if (!this.sse!.push(chunk)) {
          this.sse!.dropHeld();
          const error = aigwError(
            'upstream_stream_error',
            `backend ${this.backend} sent an event larger than ${this.relay.maxEventBytes} bytes`,
          );
          this.cutStream('event_too_large', error);
          this.abort();
        }
        return;
      case 'body': {
        const early = this.body!.push(chunk);
        if (early) this.finishBody(early);
        return;
      }
      default:
    }
  }

  onResponseEnd(): void {
    if (this.mode === 'error-body') return this.failWithStatus();
    if (this.mode === 'sse') {
      const s = this.sse!;
      if (!this.out.headersSent && s.outputEvents === 0 && !s.sawDone && !s.holding) return this.failEmptyStream();
      if (!this.out.headersSent) this.startStream();
      s.flushHeld(!s.sawDone);
      if (!s.sawDone) {
        // A clean end without [DONE] is still a cut: say so, rather than let a client take it for a whole answer.
        return this.cutStream(
          'incomplete_stream',
          aigwError(
            'upstream_stream_error',
            `backend ${this.backend} ended the stream before its end marker: the answer may be incomplete`,
          ),
        );
      }
      this.recordStreamUsage();
      this.out.end();
    } else if (this.mode === 'body') {
      this.body!.end();
      this.recordBodyUsage();
    }
    this.done();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.mode === 'done') return;
    if ((err as { code?: string }).code === 'AIGW_CLIENT_GONE' || this.record.clientGone) {
      if (this.sse) this.recordStreamUsage();
      return this.done();
    }
    const failure = classifyError(err);
    if (!this.out.headersSent) {
      // Nothing reached the client: this attempt may fail over.
      const message = `${failure}: ${(err as { code?: string }).code ?? err.message}`;
      const error =
        failure === 'timeout'
          ? aigwError('upstream_timeout', `backend ${this.backend} did not answer in time`)
          : aigwError(
              failure === 'bad_response' ? 'bad_upstream_response' : 'upstream_error',
              `backend ${this.backend} failed: ${message}`,
            );
      this.mode = 'done';
      return this.resolve({ kind: 'failed', failure, error, failsOver: true, message });
    }
    const idle = failure === 'idle_timeout';
    this.publishUpstreamError(idle ? 'idle_timeout' : 'stream_error', (err as { code?: string }).code ?? err.message);
    if (this.mode === 'sse') {
      this.recordStreamUsage();
      this.truncation(idle ? 'idle_timeout' : 'upstream_reset', undefined);
      const code = idle ? 'upstream_idle_timeout' : 'upstream_stream_error';
      const msg = idle ? `backend ${this.backend} went silent mid-stream` : `backend ${this.backend} broke the stream`;
      this.out.end(renderStreamErrorFrame(aigwError(code, msg)));
    } else {
      this.truncation(idle ? 'idle_timeout' : 'upstream_reset', this.body?.expected);
      this.out.destroy();
    }
    this.done();
  }

  /** Ends a stream that broke after bytes went out: usage so far, a truncation event, one error frame, no [DONE]. */
  private cutStream(reason: TruncationReason, error: AigwError): void {
    this.recordStreamUsage();
    this.truncation(reason, undefined);
    this.publishUpstreamError('stream_error', error.message);
    this.out.end(renderStreamErrorFrame(error));
    this.mode = 'done';
    this.resolve({ kind: 'committed' });
  }

  /** The backend ended a stream before sending anything: nothing reached the client, so another may answer. */
  private failEmptyStream(): void {
    const message = 'bad_response: the stream ended before its first event';
    this.mode = 'done';
    this.resolve({
      kind: 'failed',
      failure: 'bad_response',
      error: aigwError('bad_upstream_response', `backend ${this.backend} ended the stream before its first event`),
      failsOver: true,
      message,
    });
  }

  private startStream(): void {
    const h = downstreamHeaders(this.headers, {});
    h['cache-control'] = 'no-cache';
    h['x-accel-buffering'] = 'no';
    this.out.writeHead(this.status, h);
  }

  private finishBody(o: ReturnType<BodyRelay['overflow']>): void {
    if (o.kind === 'too_large') {
      this.mode = 'done';
      this.resolve({
        kind: 'failed',
        failure: 'bad_response',
        error: aigwError(
          'response_too_large',
          `the answer is larger than the gateway's response buffer (${this.relay.buffer.maxBytes} bytes)`,
        ),
        failsOver: false,
        message: 'response_too_large',
      });
    } else if (o.kind === 'truncated') {
      this.truncation('buffer_truncate', this.body!.expected, o.delivered);
      this.done();
    }
    this.abort();
  }

  private failWithStatus(): void {
    const body = Buffer.concat(this.errorBody);
    const ct = this.headers['content-type'];
    const error = normalizeUpstreamError(this.status, typeof ct === 'string' ? ct : undefined, body, this.backend, this.relay.scrub);
    const ra = retryAfterMs(this.headers['retry-after']);
    this.mode = 'done';
    this.resolve({
      kind: 'failed',
      failure: 'status',
      status: this.status,
      error,
      failsOver: statusFailsOver(this.status),
      ...(ra !== undefined ? { retryAfterMs: ra } : {}),
      message: `HTTP ${this.status}`,
    });
  }

  private recordStreamUsage(): void {
    const s = this.sse!;
    if (s.usage) {
      this.record.inputTokens = s.usage.prompt;
      this.record.outputTokens = s.usage.completion;
      this.record.cachedInputTokens = s.usage.cached;
      this.record.inputSource = this.record.outputSource = 'usage';
    } else {
      this.record.outputTokens = s.outputEvents;
      this.record.outputSource = 'estimate';
    }
  }

  private recordBodyUsage(): void {
    const body = this.body!;
    const encoding = this.headers['content-encoding'];
    const plain = encoding === undefined || encoding === 'identity';
    const u = body.received > 0 && plain ? usageIn(body.tail.text()) : undefined;
    if (!u) {
      if (this.status >= 200 && this.status < 300 && body.received > 0) {
        const kept = body.keptBody();
        this.record.unmetered = { ...kept, size: body.received, encoding: plain ? undefined : String(encoding) };
      }
      return;
    }
    this.record.inputTokens = u.prompt;
    this.record.outputTokens = u.completion;
    this.record.cachedInputTokens = u.cached;
    this.record.inputSource = this.record.outputSource = 'usage';
  }

  private truncation(reason: TruncationReason, expected: number | undefined, delivered = this.record.bytesOut): void {
    this.record.truncated = true;
    if (!this.bus.active) return;
    this.bus.publish({
      type: 'truncation',
      ts: Date.now(),
      requestId: this.record.requestId,
      model: this.record.model,
      backend: this.backend,
      reason,
      stream: this.mode === 'sse',
      bytesDelivered: delivered,
      ...(expected !== undefined ? { bytesExpected: expected } : {}),
    });
  }

  private publishUpstreamError(reason: UpstreamFailure, message: string): void {
    if (!this.bus.active) return;
    this.bus.publish({
      type: 'upstream_error',
      ts: Date.now(),
      requestId: this.record.requestId,
      model: this.record.model,
      backend: this.backend,
      reason,
      message,
      retried: false,
    });
  }

  private done(): void {
    this.mode = 'done';
    this.resolve({ kind: 'committed' });
  }
}
