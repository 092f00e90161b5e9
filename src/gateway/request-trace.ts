/**
 * Tracing on the request path: the request span when the handler starts, its GenAI request attributes after
 * the parse stage, one client span per upstream attempt. With tracing off every call here returns a shared
 * no-op at once: no object is built for it.
 */
import { AnswerNotes } from '../events/request-record.js';
import type { ProxyRequest } from '../openai/parse-request.js';
import { describeRequest, startRequestSpan } from '../observe/request-span.js';
import { type AttemptSpan, NOOP_ATTEMPT, NOOP_SPAN } from '../observe/tracing.js';
import type { AttemptOutcome } from '../relay/exchange.js';
import type { Target } from '../routing/route-table.js';
import type { RequestContext } from './request-context.js';
import type { Runtime } from './runtime.js';
import type { BackendEdge } from './services.js';

/** Starts the request span (the client's traceparent continues its trace). */
export function traceRequest(ctx: RequestContext, runtime: Runtime, endpoint: string): void {
  const tracing = runtime.services.tracing;
  if (tracing.enabled) ctx.span = startRequestSpan(tracing, ctx.req.headers, endpoint, ctx.requestId);
}

/**
 * After the parse stage: the request's attributes, and the relays asked to note the answer's id and finish reasons.
 * `routed`: the profile has a route for the model asked for (a made-up one does not name the span).
 */
export function traceParsed(ctx: RequestContext, p: ProxyRequest, routed: boolean): void {
  const span = ctx.span;
  if (span === NOOP_SPAN || !span.recording) return;
  describeRequest(span, p, ctx.record.tenant, routed);
  ctx.record.answerNotes = new AnswerNotes(span.capturesContent);
}

/** The span of one attempt (its traceparent goes upstream in place of the client's). */
export function traceAttempt(ctx: RequestContext, edge: BackendEdge, target: Target): AttemptSpan {
  if (ctx.span === NOOP_SPAN) return NOOP_ATTEMPT;
  return ctx.span.startAttempt({
    backend: target.backend.name,
    attempt: ctx.record.attempts,
    upstreamModel: target.upstreamModel,
    provider: edge.spanProvider,
    url: edge.url,
  });
}

/** Ends an attempt's span: the backend's status, and why it failed (its failure class, or how the answer was cut). */
export function endAttempt(span: AttemptSpan, outcome: AttemptOutcome, ctx: RequestContext): void {
  if (span === NOOP_ATTEMPT) return;
  if (outcome.kind !== 'failed') span.end({ status: ctx.record.status, errorType: ctx.record.errorType });
  else span.end({ status: outcome.status, errorType: outcome.failure });
}
