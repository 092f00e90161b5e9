/**
 * The gateway's view of one request: its node:http pair, its record (events/request-record.ts, which the
 * stages below the gateway write), the headers every response carries, and its single ending — the settle
 * stage, then the `request` event.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventBus } from '../events/bus.js';
import { RequestRecord } from '../events/request-record.js';
import { endRequestSpan } from '../observe/request-span.js';
import { NOOP_SPAN, type RequestSpan } from '../observe/tracing.js';
import type { ClientApi } from '../openai/endpoints.js';
import type { AigwError } from '../core/errors.js';
import type { Linked } from '../core/live-list.js';
import type { MaybePromise } from '../core/maybe-promise.js';
import type { Admitted } from '../tenants/admission.js';
import type { Runtime } from './runtime.js';

/** The settle stage of an admitted request. */
type Settlement = Pick<Admitted, 'settle'>;

export class RequestContext implements Linked<RequestContext> {
  readonly record: RequestRecord;
  /** Headers every response to this request carries (OpenAI's x-ratelimit-* for a limited tenant). */
  extraHeaders: Readonly<Record<string, string>> | undefined;
  /** The settle stage: runs once the response is over, before the request event. */
  private settlement: Settlement | undefined;
  /** The API of the path the client called: the shape its errors take. */
  api: ClientApi = 'openai';
  /**
   * Aborted when the client goes away before the response is complete: the exchange with the upstream, or the
   * wait for a connection slot. An object with a method rather than a closure: it is held for the answer's life.
   */
  onClientGone: { abort(): void; shutDown?(error: AigwError): void } | undefined;
  /** The request's span: the shared NOOP_SPAN unless tracing is on. */
  span: RequestSpan = NOOP_SPAN;
  /** The end user the auth stage verified (a JWT's userClaim), for identity headers upstream. */
  user: string | undefined;
  /** The user came from a token (gateway/identify.ts): a client's user header names nobody. */
  userByToken = false;
  /** The tenant's allow-list (undefined allows every model): a fallback outside it is not tried. */
  allowedModels: ReadonlySet<string> | undefined;
  /**
   * The runtime a reload swapped in while its body arrived, which admitted it (gateway/handle.ts readmit): held, as
   * the one it began on is, until it settles.
   */
  movedTo: Runtime | undefined;
  /** Frees the request's place among its tenant's in flight (tenant-places.ts), once its response is gone. */
  tenantPlace: (() => void) | undefined;
  /**
   * A shared store (Redis) deciding its admission, until what follows it (settleWith or a refusal) has run: a request
   * that ends meanwhile settles and publishes its event after that, so the event says whether its limits admitted it.
   */
  private admitting: Promise<unknown> | undefined;
  private finished = false;
  /** Its place in GatewayState.live (core/live-list.ts), from its body's first byte until its response is gone. */
  livePrev: RequestContext | undefined;
  liveNext: RequestContext | undefined;
  inLive = false;

  /**
   * @param upstreamRequestId the x-request-id its backends are told: unique to this request, whatever id the client
   * chose (gateway/handle.ts upstreamRequestId).
   */
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    requestId: string,
    private readonly bus: EventBus,
    readonly upstreamRequestId: string = requestId,
  ) {
    this.record = new RequestRecord(requestId);
  }

  get requestId(): string {
    return this.record.requestId;
  }

  /**
   * Sets the settle stage once the request is admitted. A request that already ended while it waited for its
   * admission (the client left during a Redis round trip) settles at once: its lease is freed and its
   * reservation refunded, rather than held (and renewed) forever.
   */
  settleWith(settlement: Settlement): void {
    if (!this.finished || this.admitting) {
      this.settlement = settlement;
      return;
    }
    try {
      const settling = settlement.settle(this.record);
      if (settling) settling.catch(() => {});
    } catch {
      // Nothing is waiting for this request any more; a settle that fails has nothing to report to.
    }
  }

  /**
   * The admission a shared store is deciding, and what follows it. A request whose client left meanwhile published its
   * event at once, `admitted: false`, and was charged by the store a moment later: `/aigw/stats`' `rpm.used` missed
   * every such request the limiter counted (a client timing out against a slow Redis, again and again). Its ending
   * waits for the decision now (bounded by the store's timeout), then settles and publishes as any other.
   */
  whileAdmitting(decided: Promise<unknown>): void {
    // Ended already (its client left as its body arrived): its event is out, and settleWith settles it at once.
    if (this.finished) return;
    this.admitting = decided;
    // Decided before the request ended: its ending has nothing to wait for.
    const done = () => {
      if (this.admitting === decided) this.admitting = undefined;
    };
    decided.then(done, done);
  }

  /** Whether the request has ended (its settle stage ran or is running). */
  get ended(): boolean {
    return this.finished;
  }

  /**
   * Settles the request, once: the settle stage, then the request event. A promise only when the settle stage
   * waits (a count off the event loop, a shared store); a settle stage that throws still publishes the event.
   */
  finish(): Promise<void> | undefined {
    if (this.finished) return undefined;
    this.finished = true;
    // The answer is over now: the settle stage's counts and store round trips are not the request's time.
    this.record.endedAt = performance.now();
    const admitting = this.admitting;
    if (admitting) {
      const settle = () => {
        this.admitting = undefined;
        return this.settleAndPublish();
      };
      return admitting.then(settle, settle);
    }
    return this.settleAndPublish();
  }

  private settleAndPublish(): Promise<void> | undefined {
    let settling: MaybePromise<void>;
    try {
      settling = this.settlement?.settle(this.record);
    } catch {
      settling = undefined;
    }
    if (settling) {
      const publish = () => this.publish();
      return settling.then(publish, publish);
    }
    this.publish();
    return undefined;
  }

  private publish(): void {
    if (this.span !== NOOP_SPAN) endRequestSpan(this.span, this.record);
    if (this.bus.active && this.record.endpoint !== undefined) this.bus.publish(this.record.toEvent());
  }
}
