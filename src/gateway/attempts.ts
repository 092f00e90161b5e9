/**
 * The route, attempt and relay stages for one parsed request: the plan's targets are tried as the attempt
 * policy (routing/attempt-policy.ts) says until one answers; each attempt dispatches to the backend's pool
 * with a relay (relay/exchange.ts) as the response's lifecycle. Nothing is retried once a byte reached
 * the client; the loop is over then, while the answer may stream for minutes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { monotonicNow } from '../core/clock.js';
import { type AigwError, aigwError } from '../core/errors.js';
import type { EventBus } from '../events/bus.js';
import { ENDPOINT_PATHS } from '../openai/endpoints.js';
import { forgetBody, type ProxyRequest } from '../openai/parse-request.js';
import { upstreamBody } from '../openai/upstream-body.js';
import { type RelayDialect, relayDialect } from '../relay/dialect.js';
import { Downstream } from '../relay/downstream.js';
import { type AttemptOutcome, Exchange } from '../relay/exchange.js';
import { upstreamHeaders } from '../relay/headers.js';
import { afterFailure, deadlineCutByQueue, FIRST_ATTEMPT, type AttemptState } from '../routing/attempt-policy.js';
import {
  firstTokenAtHead,
  firstTokenMeasures,
  pathServedByPeer,
  recordAnswerHead,
  recordDispatch,
  recordFailure,
  recordFirstByte,
  recordOverload,
  recordServed,
} from '../routing/feedback.js';
import { localCountTarget, planAttempts } from '../routing/plan.js';
import { NO_FACTS, routeRequest } from '../routing/request-facts.js';
import type { ModelRoute, Target } from '../routing/route-table.js';
import type { RequestFacts } from '../routing/strategies/candidate.js';
import type { PromptCounter } from '../tenants/admission.js';
import { type ProviderRequest, providerRequest } from '../translate/upstream-request.js';
import type { SlotRefusal } from '../upstream/slots.js';
import { attemptHeaders } from './attempt-headers.js';
import { answerCountTokens } from './count-tokens.js';
import type { RequestContext } from './request-context.js';
import { endAttempt, traceAttempt } from './request-trace.js';
import { failedRequest, sendError } from './respond.js';
import { reportFailure } from '../core/guard.js';
import type { Runtime } from './runtime.js';

/**
 * Never rejects: a failure is answered here, since the caller does not hold on to this promise for as long as
 * the answer lasts — before the head, a 500 (failedRequest); after it, a warning only: the answer belongs to
 * its exchange then, and a stream may still be flowing.
 */
export async function routeAndRelay(
  ctx: RequestContext,
  runtime: Runtime,
  route: ModelRoute,
  p: ProxyRequest,
  bus: EventBus,
  tokens: PromptCounter,
): Promise<void> {
  // Answered by the drain's deadline while its admission waited (a shared store): nothing is sent upstream.
  if (ctx.res.headersSent) return;
  try {
    // The routing clock (monotonic: cooldowns and latency estimates outlast a wall-clock step), not events' `ts`.
    const now = monotonicNow();
    // A plain weighted route reads nothing of the prompt: no facts are gathered for it.
    const routed = route.needs.facts ? routeRequest(route, runtime.routes, p, runtime.admission.defaultCompletionTokens, now) : undefined;
    const facts = routed?.facts ?? NO_FACTS;
    if (routed?.escalatedTo !== undefined) ctx.record.routedModel = routed.escalatedTo;
    if (p.endpoint === 'count_tokens') {
      const counter = localCountTarget(routed?.route ?? route, { headers: ctx.req.headers, tenant: ctx.record.tenant }, now);
      if (counter) {
        await countHere(ctx, p, counter, tokens);
        return;
      }
    }
    const plan = planAttempts(routed?.route ?? route, runtime.routes, {
      headers: ctx.req.headers,
      tenant: ctx.record.tenant,
      allowed: ctx.allowedModels,
      now,
      facts,
      state: runtime.routing,
      rng: runtime.rng,
    });
    const targets = plan.targets;
    if (targets.length === 0) {
      // Only when every target has weight 0 (validation refuses a profile that routes nothing).
      return sendError(
        ctx,
        aigwError('no_healthy_backend', `no target of ${p.model} can take traffic`, { headers: { 'retry-after': '1' } }),
      );
    }
    const r = runtime.profile.resilience;
    const limits = { attempts: r.attempts, retryAfterCapMs: r.retryAfterCap };
    let state: AttemptState = FIRST_ATTEMPT;
    /** The waits the backends tried asked for (0: none), on failures only: what the client is told at the end. */
    let waits: { backend: string; ms: number }[] | undefined;
    for (;;) {
      const target = plan.at(state.index);
      // The backend's ejection this attempt is sent under: its outcome is read against it (upstream/health.ts).
      const sentUnder = target.backend.health.epoch;
      const outcome = await attempt(ctx, runtime, p, target, bus, tokens, facts);
      // Given up unanswered (the client left, the drain's deadline answered it): the backend did nothing to judge.
      if (outcome.kind === 'abandoned') return;
      // The backend's health learns of an answer at its end (dispatch's onEnd): one cut by the backend is its failure.
      if (outcome.kind === 'committed') return;
      // Gone, or answered by the drain's deadline while it waited (a 503 it may retry elsewhere): nothing more to try.
      if (ctx.record.clientGone || ctx.res.headersSent) return;
      if (!outcome.failsOver) {
        // A backend's refusal of the request itself (400, 404, 413, 422: a status that does not fail over) says nothing
        // of its health, as it says nothing of its latency (routing/feedback.ts): read as a success, it wiped the failure
        // streak — an engine that hung or failed every request while its HTTP layer still refused bad ones (vLLM checks
        // a prompt's length before its engine sees it) was never ejected while one request in three was a 400, and
        // every other request sent there waited timeouts.firstByte first. Only a whole answer refused for its size or
        // for what the model wrote (bad_response) was generated by the backend: that is its success.
        if (!outcome.local && outcome.failure === 'bad_response') target.backend.health.success(monotonicNow(), sentUnder);
        return sendError(ctx, outcome.error);
      }
      const now = monotonicNow();
      recordOverload(runtime.routing, target, outcome.status, outcome.retryAfterMs, now, r.maxCooldown);
      (waits ??= []).push({ backend: target.backend.name, ms: outcome.retryAfterMs ?? 0 });
      const lengthTimed = outcome.generating === true && !firstTokenAtHead(p);
      const queueTimed = outcome.generating === true && deadlineCutByQueue(outcome.queuedMs, runtime.profile.timeouts.firstByte);
      // A deadline the request's length or the gateway's queue spent: the backend's stats do not count it either.
      const excused = lengthTimed || queueTimed;
      const decision = afterFailure(
        targets.length,
        state,
        {
          kind: outcome.failure,
          status: outcome.status,
          retryAfterMs: outcome.retryAfterMs,
          lengthTimed,
          queueTimed,
          // A missing path (a 404 or 405 for it) is the backend's URL and the endpoint, and the client picks the
          // endpoint: counted, a client's embeddings requests for a chat model ejected every replica of it. It fails
          // over and counts for nothing, as a model one replica lacks does.
          modelOnly: outcome.modelMissing === true && (outcome.pathMissing === true || target.backendServesOthers),
        },
        limits,
        // Through `at`: a fallback's targets are ordered once reached, and the target checked is the one tried.
        (i) => plan.panic || plan.at(i).backend.health.available(now, plan.pastProbes),
        5 + Math.random() * 20,
        now,
        Math.random(),
      );
      if (decision.countsAgainstHealth) {
        countFailure(target, bus, now, `${outcome.failure}: ${outcome.message}`, sentUnder);
      }
      const next = decision.next;
      if (bus.active) {
        bus.publish({
          type: 'upstream_error',
          ts: Date.now(),
          requestId: ctx.requestId,
          model: p.model,
          backend: target.backend.name,
          reason: outcome.failure,
          message: outcome.message,
          retried: next.kind === 'try',
          ...(excused ? { excused: true as const } : {}),
        });
      }
      if (next.kind === 'give-up') {
        ctx.record.excused = excused;
        return sendError(ctx, withRetryAfter(outcome.error, toldWait(waits, target.backend.name, outcome.retryAfterMs)));
      }
      // This attempt is counted by its upstream_error (retried): the request's event names the next attempt's backend,
      // or none when there is no next one (the client left during the wait, the drain answered it) — named there too,
      // it was counted twice, a routing decision and an error that one attempt made.
      ctx.record.backend = undefined;
      // Unref'd: a stopping gateway does not stay up for a wait whose request its drain has answered.
      if (next.delayMs > 0) await sleep(next.delayMs, undefined, { ref: false });
      if (ctx.record.clientGone || ctx.res.headersSent) return;
      state = decision.state;
    }
  } catch (e) {
    if (ctx.res.headersSent) reportFailure(e);
    else failedRequest(ctx, e);
  }
}

/** A token count the gateway answers itself (localCountTarget): nothing is sent upstream, nothing fails over. */
async function countHere(ctx: RequestContext, p: ProxyRequest, target: Target, tokens: PromptCounter): Promise<void> {
  const outcome = await answerCountTokens(ctx, p, target, tokens);
  if (outcome.kind === 'failed' && !ctx.record.clientGone && !ctx.res.headersSent) sendError(ctx, outcome.error);
}

/** A failure toward the backend's ejection, told when it ejects. */
function countFailure(target: Target, bus: EventBus, now: number, reason: string, sentUnder: number): void {
  const cooldown = target.backend.health.failure(now, sentUnder);
  if (cooldown > 0 && bus.active)
    bus.publish({ type: 'ejection', ts: Date.now(), backend: target.backend.name, ejected: true, cooldownMs: cooldown, reason });
}

/**
 * An answer's end, as the backend's health reads it: whole (or left by its client), a success; cut by the backend —
 * its connection reset or silent mid-answer — a failure. Read at the end, not at the head: a backend that always
 * broke its streams after the first event was counted a success at each head, its streak reset every time, and
 * never ejected. An answer the gateway gave itself (count_tokens) says nothing of the backend: counted as its
 * success, any client's count_tokens reset a dead backend's failure streak, and it was never ejected.
 */
function judgeAnswer(target: Target, bus: EventBus, outcome: AttemptOutcome & { kind: 'committed' }, sentUnder: number): void {
  // Ended by the backend's own error event saying the request's fault or a busy backend: neither (as before the head).
  if (outcome.local || outcome.refused) return;
  if (outcome.broke) return countFailure(target, bus, monotonicNow(), 'stream_error: the backend cut its answer', sentUnder);
  if (target.backend.health.success(monotonicNow(), sentUnder))
    bus.publish({ type: 'ejection', ts: Date.now(), backend: target.backend.name, ejected: false, cooldownMs: 0, reason: 'answered' });
}

/** A day: a backend's retry-after past it is no schedule a client should keep. */
const MAX_TOLD_RETRY_AFTER_MS = 86_400_000;
/**
 * Past a minute, a wait the SDKs should not sleep: openai-node and @anthropic-ai/sdk sleep any retry-after inside the
 * call, unabortable, before retrying a 5xx — a client hung an hour, twice. The limiter's budget 429 says so alike.
 */
const MAX_SLEPT_RETRY_AFTER_MS = 60_000;

/**
 * The wait a client is told when the request gives up: the last backend's retry-after, unless another backend it tried
 * asked a shorter one, or none (a 500, a refused connection) — a retry is routed there (the last one cools down for
 * its wait), and told the last one's hour with `x-should-retry: false`, the SDKs gave up on a request a retry a second
 * later served.
 */
function toldWait(
  waits: readonly { backend: string; ms: number }[] | undefined,
  last: string,
  lastMs: number | undefined,
): number | undefined {
  let told = lastMs;
  if (told === undefined || waits === undefined) return told;
  for (const w of waits) if (w.backend !== last && w.ms < told) told = w.ms;
  return told;
}

/**
 * The last answer was a backend's overload (429, 503) with a retry-after, and no target is left to try: the client is
 * told when to come back, as the backend said (whole seconds, and OpenAI's retry-after-ms) — the SDKs retry a 502 and
 * honour either header; without them, they came back within a second to the backend that asked for a minute.
 */
function withRetryAfter(error: AigwError, retryAfterMs: number | undefined): AigwError {
  if (retryAfterMs === undefined || !(retryAfterMs > 0) || retryAfterMs > MAX_TOLD_RETRY_AFTER_MS) return error;
  const headers = {
    ...error.headers,
    'retry-after': String(Math.ceil(retryAfterMs / 1000)),
    'retry-after-ms': String(Math.ceil(retryAfterMs)),
    ...(retryAfterMs > MAX_SLEPT_RETRY_AFTER_MS ? { 'x-should-retry': 'false' } : {}),
  };
  return { ...error, headers };
}

/**
 * Not async: the usual attempt gets a connection slot at once and returns dispatch's promise itself — an async
 * function would wrap it in one more promise, held (with its resolving functions) for as long as the answer lasts.
 */
function attempt(
  ctx: RequestContext,
  runtime: Runtime,
  p: ProxyRequest,
  target: Target,
  bus: EventBus,
  tokens: PromptCounter,
  facts: RequestFacts,
): Promise<AttemptOutcome> | AttemptOutcome {
  const backend = target.backend;
  // Only an Anthropic backend counts Anthropic's tokens; for any other the tokenizer's estimate is the answer.
  if (p.endpoint === 'count_tokens' && backend.kind !== 'anthropic') return answerCountTokens(ctx, p, target, tokens);
  let provider: ProviderAttempt | undefined;
  if (backend.kind !== 'openai' || p.api !== 'openai') {
    const version = ctx.req.headers['anthropic-version'];
    const r = providerRequest(p, backend, target, Date.now(), typeof version === 'string' ? version : undefined);
    // A request this backend's API cannot express is the client's to fix, whichever backend it reaches.
    if (!r.ok) return { kind: 'failed', failure: 'bad_response', error: r.error, failsOver: false, message: r.error.message, local: true };
    provider = { request: r.value, dialect: relayDialect(p.api, r.value.translation) };
  }
  const slot = backend.slots.acquire((withdraw) => (ctx.onClientGone = { abort: withdraw }), ctx.record.tenant);
  if (typeof slot === 'number') {
    ctx.onClientGone = undefined;
    return dispatch(ctx, runtime, p, target, bus, slot, provider, facts);
  }
  return slot.then((waited) => {
    ctx.onClientGone = undefined;
    if (typeof waited !== 'number') return queueRefusal(backend.name, waited);
    // Handed a slot, but answered (the drain's deadline) or left before this ran: the slot goes to the next.
    if (ctx.res.headersSent || ctx.record.clientGone) {
      backend.slots.release();
      return queueRefusal(backend.name, 'cancelled');
    }
    return dispatch(ctx, runtime, p, target, bus, waited, provider, facts);
  });
}

function queueRefusal(backend: string, why: SlotRefusal): AttemptOutcome {
  const message = why === 'queue_full' ? 'its connection queue is full' : 'no connection became free in time';
  return {
    kind: 'failed',
    failure: 'queue',
    error: aigwError('upstream_unavailable', `backend ${backend} is saturated: ${message}; retry shortly`, {
      headers: { 'retry-after': '1' },
    }),
    failsOver: why !== 'cancelled',
    message: why,
  };
}

function withHeaders(headers: string[], more: readonly string[] | undefined): string[] {
  if (more) for (const h of more) headers.push(h);
  return headers;
}

/** An attempt to a backend of another kind than OpenAI's, or from an Anthropic client: its request and relay dialect. */
interface ProviderAttempt {
  request: ProviderRequest;
  dialect: RelayDialect | undefined;
}

/**
 * Synchronous up to the exchange. The caller gets the exchange's outcome: failed, or committed once the head is
 * written — so the attempt loop does not stay suspended for as long as a stream lasts. The attempt's own end
 * (the slot released, its span ended, latency fed back) is a callback when the exchange is over; for a failed
 * outcome it runs before the loop reads it, so the slot is free before another attempt takes one.
 */
function dispatch(
  ctx: RequestContext,
  runtime: Runtime,
  p: ProxyRequest,
  target: Target,
  bus: EventBus,
  waitedMs: number,
  provider: ProviderAttempt | undefined,
  facts: RequestFacts,
): Promise<AttemptOutcome> {
  let ended = false;
  try {
    const backend = target.backend;
    const record = ctx.record;
    record.attempts++;
    record.backend = backend.name;
    record.upstreamModel = target.upstreamModel;
    record.pricing = target.pricing;
    record.contextWindow = target.contextWindow;
    record.outputLimit = provider?.request.outputLimit;
    const edge = runtime.services.backends.get(backend.name)!;
    record.provider = edge.provider;
    const span = traceAttempt(ctx, edge, target);
    recordDispatch(runtime.routing, target, facts);
    const sentAt = target.tracksTtft ? performance.now() : 0;
    // The backend's ejection the answer is judged against at its end (upstream/health.ts epoch).
    const sentUnder = backend.health.epoch;
    // Back from an ejection, it takes this request alone until it has an outcome (its head, a failure).
    const probe = backend.health.probe(monotonicNow());
    // Its head comes after its last token (a non-streamed generation), or its first token after a prompt as long as the
    // client made it (firstTokenMeasures): no time to first token is read from it, and a first-byte deadline it outlasts
    // says as little of its replica — penalised, one 200 KiB prompt timed out on the quickest replica sent every
    // client's streams to a slower one.
    const clientTimed = target.tracksTtft && !firstTokenMeasures(p);
    // Runs before a failed outcome reaches the attempt loop: the slot is free before another attempt takes one.
    // Given to the exchange before it is dispatched: the pool answers some failures (a closed pool) synchronously.
    const onEnd = (outcome: AttemptOutcome): void => {
      ended = true;
      try {
        endAttempt(span, outcome, ctx);
        if (outcome.kind === 'committed') {
          judgeAnswer(target, bus, outcome, sentUnder);
          if (target.tracksTtft && outcome.local !== true) recordServed(target, p.endpoint);
        }
        // A non-streamed generation or a long prompt that outlasted the deadline ran as long as its client asked: no
        // penalty either. Nor a path the backend does not serve (a 404 or 405 for it): the client picks the endpoint —
        // penalised, a client's embeddings requests for a chat model tried every replica, doubling each one's estimate over its peer's up to
        // the cap, and for ~25 s the strategy compared in-flight counts alone. Unless a peer serves the path: then its
        // own URL is at fault (pathServedByPeer).
        if (
          outcome.kind === 'failed' &&
          target.tracksTtft &&
          !(outcome.generating && clientTimed) &&
          (outcome.pathMissing !== true || pathServedByPeer(target, p.endpoint))
        )
          recordFailure(runtime.routing, target, performance.now() - sentAt, outcome.status);
        // An answer the backend cut is a failure however quick its first event was (that first event lowered the
        // estimate): penalised as one, not for the time it streamed (minutes, for a long one).
        if (outcome.kind === 'committed' && outcome.broke && target.tracksTtft) recordFailure(runtime.routing, target, 0, undefined);
      } finally {
        ctx.onClientGone = undefined;
        backend.slots.release();
      }
    };
    let exchange: Exchange;
    try {
      exchange = send(ctx, runtime, p, target, bus, waitedMs, provider, attemptHeaders(ctx, edge, span), onEnd);
    } catch (e) {
      backend.health.probed(probe);
      throw e;
    }
    // Given back before the attempt loop reads the outcome: a failure then ejects it again (countFailure).
    if (probe !== 0) {
      const probed = () => backend.health.probed(probe);
      exchange.outcome.then(probed, probed);
    }
    if (target.tracksTtft) {
      // A long prompt's first token is a bound too: its prefill is as long as the client made it (firstTokenMeasures).
      const observe = firstTokenMeasures(p) ? recordFirstByte : recordAnswerHead;
      exchange.onFirstByte = () => observe(runtime.routing, target, performance.now() - sentAt);
    }
    // An exchange's outcome always resolves (failures are outcomes too); a committed one at its head. One that waited
    // for its connection says so: its head was due that much sooner (send), which the attempt policy reads.
    if (waitedMs > 0) return exchange.outcome.then((o) => (o.kind === 'failed' ? { ...o, queuedMs: waitedMs } : o));
    return exchange.outcome;
  } catch (e) {
    // Thrown before the exchange ended: its slot is released here (once it ended, onEnd released it).
    if (!ended) target.backend.slots.release();
    throw e;
  }
}

/**
 * Hands one attempt to the backend's pool; its exchange is the response's lifecycle. Apart from `dispatch`
 * and synchronous so that, once sent, the upstream body is held by the pool alone (an awaiting async frame keeps
 * its locals for as long as a stream lasts), and the client's text is dropped once an answer is committed.
 */
function send(
  ctx: RequestContext,
  runtime: Runtime,
  p: ProxyRequest,
  target: Target,
  bus: EventBus,
  waitedMs: number,
  provider: ProviderAttempt | undefined,
  identity: readonly string[] | undefined,
  onEnd: (outcome: AttemptOutcome) => void,
): Exchange {
  const backend = target.backend;
  // The same buffer the pool holds for the answer's life is where the prompt is read back from, if it has to be counted.
  const sent = provider ? undefined : upstreamBody(p, target.upstreamModelJson);
  const request = sent ?? provider!.request;
  // The client's bytes need not outlive the first body built from them: another attempt, rare, encodes the text
  // again — the same bytes.
  p.raw = undefined;
  const out = new Downstream(ctx.res, ctx.record, ctx.extraHeaders, runtime.profile.timeouts.clientStall);
  out.onCommit = () => {
    // An answer measures the request's work: a fallback that answered with usage after a first attempt timed out is
    // charged its usage, not that attempt's reservation. Only an answer: cleared at each attempt's send, a fallback
    // that refused the request (a 400 of its own), was down or answered 503 left the first backend's generation free.
    if (ctx.record.answered) ctx.record.workedUnmetered = false;
    forgetBody(p, sent?.body);
    // No other answer will be written: the x-ratelimit-* headers are in the head already.
    ctx.extraHeaders = undefined;
    exchange.committed();
  };
  const exchange = new Exchange(out, bus, backend.name, runtime.relay, request.injectedUsage, provider?.dialect);
  exchange.onEnd = onEnd;
  ctx.onClientGone = exchange;
  backend.pool.dispatch(
    {
      path: provider ? provider.request.path : backend.basePath + ENDPOINT_PATHS[p.endpoint],
      method: 'POST',
      headers: withHeaders(
        upstreamHeaders(
          ctx.req.rawHeaders,
          backend.headers,
          ctx.req.socket.remoteAddress,
          ctx.upstreamRequestId,
          runtime.services.strip,
          identity,
        ),
        provider?.request.headers,
      ),
      body: request.body,
      // Time spent waiting for a connection counts against the first-byte timeout.
      // (timeouts.firstByte 0 is no deadline: the wait leaves it none.)
      ...(waitedMs > 0 && runtime.profile.timeouts.firstByte > 0
        ? { headersTimeout: Math.max(1, runtime.profile.timeouts.firstByte - waitedMs) }
        : {}),
    },
    exchange,
  );
  // Built per attempt: another attempt builds its own.
  if (provider) provider.request.body = '';
  return exchange;
}
