/**
 * The gateway's HTTP surface, composed in one place. A proxied request goes through the stages in order —
 *   auth → body → parse → admit → route → attempt → relay → settle
 * — each a call below, each answering the client itself (an error value rendered once) when it refuses.
 * `createHandler` works on any node:http request/response pair.
 */
import { targetPath } from '../core/request-target.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { browserProblem, OPEN_GATEWAY, sentByBrowser } from '../core/browser-guard.js';
import { type AigwError, aigwError } from '../core/errors.js';
import { guarded } from '../core/guard.js';
import type { LiveList } from '../core/live-list.js';
import { nextId } from '../core/ids.js';
import { whenResponseGone } from '../core/response-gone.js';
import type { EventBus } from '../events/bus.js';
import { anthropicVersionProblem } from '../anthropic/version.js';
import { ENDPOINT_API, type Endpoint, endpointAt } from '../openai/endpoints.js';
import { contentTypeOf, type ProxyRequest, parseProxyRequest } from '../openai/parse-request.js';
import { type Admitted, admit, type PromptCounter, unlimited } from '../tenants/admission.js';
import { modelNotAllowed, type Tenant } from '../tenants/keys.js';
import { reachesAnthropic } from '../routing/plan.js';
import type { ModelRoute } from '../routing/route-table.js';
import { routeAndRelay } from './attempts.js';
import { noteClientApi } from './client-error.js';
import { arrivedRefused } from './refused-connections.js';
import { placeRefusal, type TenantPlaces, takePlace } from './tenant-places.js';
import { clientUserProblem, type Identified, identifyOtherwise } from './identify.js';
import { RequestContext } from './request-context.js';
import { noteAnswered } from './answered-at.js';
import { traceParsed, traceRequest } from './request-trace.js';
import { type BodyRead, readRequestBody, tooLarge } from './request-body.js';
import { discardUpload } from '../core/discard-upload.js';
import {
  answerInternalError,
  closesAfterAnswer,
  closingAfterAnswer,
  failedRequest,
  modelNotFound,
  sendError,
  sendJsonText,
} from './respond.js';
import type { Runtime } from './runtime.js';

/** What outlives a reload: the current runtime (swapped whole), the bus, counters, the tokenizer thread. */
export interface GatewayState {
  runtime: Runtime;
  readonly bus: EventBus;
  readonly tokens: PromptCounter;
  /**
   * The requests in flight: authenticated proxied ones, from their body's first byte until their response is gone
   * (a health check or a refusal holds nothing). `limits.maxInflight` reads its size; the drain's deadline cuts them.
   */
  readonly live: LiveList<RequestContext>;
  /**
   * The requests whose credential is still being checked (a JWT waiting for its key set, a fetch of up to 5 s):
   * not in `live` — they hold nothing, and clients with no valid credential must not fill `limits.maxInflight` —
   * but the drain waits for them as it does for `live` and answers them at its deadline.
   */
  readonly authenticating: Set<RequestContext>;
  /**
   * The requests whose response is gone and whose settle stage is still under way (a shared store's round trip, a count
   * off the event loop): their limits still count them, so /aigw/stats does too until their event is out.
   */
  readonly settling: Set<RequestContext>;
  /** Each tenant's requests in flight, held to its concurrency (tenant-places.ts): by name, across reloads. */
  readonly places: TenantPlaces;
  draining: boolean;
}

const REQUEST_ID_RE = /^[\x21-\x7e]{1,128}$/;
/**
 * Responses one connection may have waiting behind the one being answered (HTTP/1.1 pipelining). Each holds its
 * request's state until its turn; a client that pipelines and never reads its answers would hold them all.
 * Past this, the connection goes, and every response queued on it with it.
 */
export const MAX_PIPELINED = 32;

/** The client's x-request-id, when it gave a well-formed one: the request's id, told back in every response. */
function clientRequestId(req: IncomingMessage): string | undefined {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : undefined;
}

/**
 * The id a backend is told of a request whose client named one: that id with a suffix of the gateway's, unique in the
 * process (one counter) and across replicas (its process tag). A backend may key its work by x-request-id and take it
 * as unique — vLLM's engine does: a second request in flight under an id is refused 400 "already running", an abort of
 * one can abort the other, and several API servers took the engine down (vllm#10583, #23697, #27711). Sent as the
 * client gave it, any client could name another's request's id (the gateway's own ids are a counter, told in every
 * response) and have the backend refuse or abort that request.
 */
function upstreamRequestId(given: string): string {
  return `${given}.${nextId('aigw')}`;
}

const NO_HOST = aigwError('invalid_request', 'an HTTP/1.1 request must carry a Host header', { param: 'host' });

const SHUTTING_DOWN = aigwError('gateway_shutting_down', 'the gateway is shutting down: retry the request');

/**
 * What the drain's deadline does to a request still in flight, before connections are cut: one not answered yet
 * (reading its body, admitted, waiting on a backend or a connection slot, between attempts) is answered 503
 * `gateway_shutting_down` — a clear, retryable error rather than a reset — and what it waited on is given up
 * (every later stage looks for an answer already sent); a stream the client is reading ends with the error frame,
 * a body flowing is cut as the gateway's own cut.
 */
export function cutAtDeadline(ctx: RequestContext): void {
  sendError(ctx, SHUTTING_DOWN, true);
  const waitingOn = ctx.onClientGone;
  if (waitingOn?.shutDown) waitingOn.shutDown(SHUTTING_DOWN);
  else waitingOn?.abort();
}

export function createHandler(state: GatewayState): (req: IncomingMessage, res: ServerResponse) => void {
  return guarded((req, res) => handle(state, req, res), answerInternalError);
}

function handle(state: GatewayState, req: IncomingMessage, res: ServerResponse): Promise<void> | void {
  // Parsed from a read its connection was closed during (MAX_PIPELINED, below): node:http goes on parsing the read's
  // requests, and each was logged, counted and published as a request (299 from one write of 300). Or pipelined behind
  // an answer that closes the connection (a refusal): it would never be answered (respond.ts closesAfterAnswer).
  // Or read on a connection already refused (a late body's next request, after a 408): the client was told it is closing.
  if (req.socket.destroyed || closesAfterAnswer(req.socket) || arrivedRefused(req)) return;
  const runtime = state.runtime;
  runtime.acquire();
  const given = clientRequestId(req);
  const requestId = given ?? nextId('req');
  const ctx = new RequestContext(req, res, requestId, state.bus, given === undefined ? requestId : upstreamRequestId(given));
  const queued = whenResponseGone(req, res, () => {
    state.live.delete(ctx);
    state.authenticating.delete(ctx);
    ctx.tenantPlace?.();
    // The connection's next request may be another API's (client-error.ts).
    noteClientApi(req.socket, undefined);
    noteAnswered(req.socket, performance.now());
    // A response aigw itself cut (truncate mode, a broken upstream body) is not a client leaving.
    if (!res.writableFinished && !ctx.record.truncated) {
      ctx.record.clientGone = true;
      ctx.onClientGone?.abort();
    }
    const finished = ctx.finish();
    if (finished) {
      state.settling.add(ctx);
      // Let go whatever the settle stage came to: a rejection left unhandled would end the process, and the request
      // would stay in `settling` (the drain waiting its whole bound) and hold its runtime for good.
      const settled = () => {
        state.settling.delete(ctx);
        letGo(runtime, ctx);
      };
      void finished.then(settled, settled);
    } else letGo(runtime, ctx);
  });
  if (queued > MAX_PIPELINED) return void req.socket.destroy();
  if (state.draining) res.setHeader('connection', 'close');
  const path = targetPath(req.url ?? '/');
  const endpoint = endpointAt(path);
  // What a 408 for a body too slow to arrive is worded in (client-error.ts).
  noteClientApi(req.socket, endpoint === undefined ? undefined : ENDPOINT_API[endpoint]);
  if (endpoint !== undefined) ctx.api = ENDPOINT_API[endpoint];
  // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without a Host — here, in its API's shape (server.ts).
  if (!req.headers.host && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) return refuse(ctx, NO_HOST);
  if (endpoint !== undefined) {
    if (req.method !== 'POST') return methodNotAllowed(ctx, 'POST');
    ctx.record.endpoint = endpoint;
    return proxy(ctx, state, runtime, endpoint);
  }
  if (path === '/healthz') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(ctx, READ_METHODS);
    return sendJsonText(ctx, state.draining ? 503 : 200, state.draining ? '{"status":"draining"}' : '{"status":"ok"}');
  }
  if (path === '/v1/models' || path.startsWith('/v1/models/')) {
    // HEAD wherever GET is (RFC 9110 §9.1): node:http leaves the body out. A monitor checking by HEAD got 405.
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(ctx, READ_METHODS);
    const tenant = authenticate(ctx, runtime);
    if (tenant instanceof Promise)
      return whileAuthenticating(state, ctx, tenant).then((t) => {
        // Not when the drain's deadline answered it while its token was checked.
        if (t && !ctx.res.headersSent) return listModels(ctx, runtime, path, t);
      });
    if (tenant === null) return;
    return listModels(ctx, runtime, path, tenant);
  }
  refuse(ctx, aigwError('not_found', `no route for ${req.method} ${shown(path)}`));
}

/** A settled request lets go of the runtime it began on, and of the one a reload moved it to (readmit). */
function letGo(runtime: Runtime, ctx: RequestContext): void {
  runtime.release();
  ctx.movedTo?.release();
}

/** A client's path in a message, bounded and printable. */
function shown(path: string): string {
  const p = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  return p.replace(/[^\x20-\x7e]/g, '?');
}

/**
 * The methods a read-only path serves, as its 405 lists them (RFC 9110 §15.5.6: every method the resource supports):
 * `GET` alone told a client that HEAD, which these paths answer, was refused too.
 */
const READ_METHODS = 'GET, HEAD';

function methodNotAllowed(ctx: RequestContext, allow: string): void {
  ctx.res.setHeader('allow', allow);
  refuse(ctx, aigwError('method_not_allowed', `${ctx.req.method} is not allowed here; use ${allow}`));
}

/**
 * The most headers a proxied request may carry. Node keeps the first 1,000 headers of a request and drops the rest
 * without a word — here, and at any backend that runs on Node (the profile's mocks among them): a client's ~1,000
 * small headers pushed the gateway's own (a backend's key, anthropic-version, x-request-id, identity) past them
 * there, and the backend refused a request the gateway had signed — a 401 taken for refused credentials, failed over
 * and counted against every target's health. Refused here, with room to spare for what the gateway adds upstream.
 */
export const MAX_CLIENT_HEADERS = 512;

/** Bytes of an unread body a refused request may still upload (read and dropped) before its socket goes. */
const REFUSED_UPLOAD_BYTES = 64 * 1024;

/**
 * A refusal before the body was read (401, 404, 405): the answer, then at most REFUSED_UPLOAD_BYTES more of
 * the upload are read and dropped, and the connection closes — a refused client cannot keep the gateway
 * reading for as long as it likes.
 */
function refuse(ctx: RequestContext, err: AigwError): void {
  sendError(ctx, err, true);
  discardUpload(ctx.req, REFUSED_UPLOAD_BYTES);
}

/** An error answer that closes the connection. */
function closingError(ctx: RequestContext, err: AigwError): void {
  sendError(ctx, err, true);
}

/**
 * An answer to an authenticated tenant before admission — a refusal (its concurrency 429, a 400, 403 or 404) or the
 * model list — with OpenAI's x-ratelimit-* headers of its limits, as every answer to a tenant with limits carries them
 * (contract §3): without them a client pacing itself by those headers lost its count on every such answer. Read from
 * the store counting nothing, and only here, never on the way of an admission (Limiter.rateHeadersOf: a shared store
 * is waited for a bounded time, then the answer goes without them). `model`: the request's, once known; `send` writes
 * the answer.
 */
function answerTenant(
  ctx: RequestContext,
  runtime: Runtime,
  tenant: Tenant | undefined,
  model: string | undefined,
  send: (ctx: RequestContext) => void,
  closeConnection = false,
): Promise<void> | void {
  const headers = tenant && runtime.limiter.rateHeadersOf(tenant, model);
  if (!(headers instanceof Promise)) {
    if (headers) ctx.extraHeaders = headers;
    return send(ctx);
  }
  // Said closing now, not once the headers are read: what the client pipelines meanwhile is never handled.
  if (closeConnection) closingAfterAnswer(ctx);
  return headers
    .then((h) => {
      if (h) ctx.extraHeaders = h;
      send(ctx);
    })
    .catch((e: unknown) => failedRequest(ctx, e));
}

/** A refusal answered as answerTenant answers. */
function refuseTenant(
  ctx: RequestContext,
  runtime: Runtime,
  tenant: Tenant | undefined,
  model: string | undefined,
  err: AigwError,
  send: (ctx: RequestContext, err: AigwError) => void,
  closeConnection = false,
): Promise<void> | void {
  return answerTenant(ctx, runtime, tenant, model, (c) => send(c, err), closeConnection);
}

/**
 * The auth stage: the caller's tenant (undefined when no tenants are configured); null after answering 401, or
 * 403 for a web page at an open gateway. An API key is looked up synchronously; only a JWT (gateway/identify.ts)
 * makes the stage wait.
 */
function authenticate(ctx: RequestContext, runtime: Runtime): Tenant | undefined | null | Promise<Tenant | null> {
  if (!runtime.tenants.enabled) {
    // Open by configuration (as LiteLLM without a master key), to programs: a page on any site, its DNS name
    // rebound to 127.0.0.1, would otherwise send completions paid with the backends' keys and read the answers.
    // Only what a browser sent is held to the Host rule: a program behind a proxy that keeps the client's Host
    // (nginx's `proxy_set_header Host $host`) is served.
    const refused = sentByBrowser(ctx.req.headers) ? browserProblem(ctx.req.headers, ctx.req.socket.localAddress, OPEN_GATEWAY) : undefined;
    if (refused === undefined) return undefined;
    refuse(ctx, refused);
    return null;
  }
  const t = runtime.tenants.authenticate(ctx.req.rawHeaders);
  if ('code' in t) {
    const services = runtime.services;
    if (services.otherIdentities) return identified(ctx, identifyOtherwise(ctx.req, runtime.tenants, services, t));
    refuse(ctx, t);
    return null;
  }
  ctx.record.tenant = t.name;
  return t;
}

/**
 * A credential checked asynchronously, counted in `state.authenticating` until it is: the drain cut such a request
 * with the connections, unanswered (a reset), since it was in no list it waits for.
 */
function whileAuthenticating<T>(state: GatewayState, ctx: RequestContext, checked: Promise<T>): Promise<T> {
  state.authenticating.add(ctx);
  return checked.finally(() => state.authenticating.delete(ctx));
}

function identified(ctx: RequestContext, r: Identified | Promise<Identified>): Tenant | null | Promise<Tenant | null> {
  if (r instanceof Promise) return r.then((x) => identified(ctx, x));
  if ('code' in r) {
    refuse(ctx, r);
    return null;
  }
  ctx.record.tenant = r.tenant.name;
  ctx.user = r.user;
  ctx.userByToken = r.userByToken === true;
  return r.tenant;
}

/** A percent-encoded path segment, decoded; undefined when the encoding is malformed (`%ZZ`). */
function decodedPathPart(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function listModels(ctx: RequestContext, runtime: Runtime, path: string, tenant: Tenant | undefined): Promise<void> | void {
  if (path === '/v1/models') {
    const list = runtime.modelList((m) => !tenant?.allowed || tenant.allowed.has(m));
    return answerTenant(ctx, runtime, tenant, undefined, (c) => sendJsonText(c, 200, list));
  }
  const id = decodedPathPart(path.slice('/v1/models/'.length));
  if (id === undefined) {
    const bad = aigwError('invalid_request', 'the model id in the path is not a valid percent-encoding');
    return refuseTenant(ctx, runtime, tenant, undefined, bad, sendError);
  }
  const entry = runtime.modelEntry(id);
  if (!entry) return refuseTenant(ctx, runtime, tenant, id, modelNotFound(id), sendError);
  const refused = tenant && modelNotAllowed(tenant, id);
  if (refused) return refuseTenant(ctx, runtime, tenant, id, refused, sendError);
  return answerTenant(ctx, runtime, tenant, id, (c) => sendJsonText(c, 200, entry));
}

function proxy(ctx: RequestContext, state: GatewayState, runtime: Runtime, endpoint: Endpoint): Promise<void> | void {
  traceRequest(ctx, runtime, endpoint);
  const headers = ctx.req.rawHeaders.length / 2;
  if (headers > MAX_CLIENT_HEADERS) {
    const error = aigwError('request_too_large', `at most ${MAX_CLIENT_HEADERS} request headers are accepted, got ${headers}`, {
      status: 431,
    });
    return refuse(ctx, error);
  }
  if (atInflightLimit(state, runtime)) return refuseOverloaded(ctx);
  const tenant = authenticate(ctx, runtime);
  if (tenant instanceof Promise) {
    return whileAuthenticating(state, ctx, tenant).then((t) => {
      if (t === null) return;
      // Read again: the count above is from before the token was verified, and every request verified meanwhile
      // (a rotated kid's tokens all wait for one key-set fetch) read the same count — six let in at a limit of 2.
      if (!ctx.ended && !ctx.res.headersSent && atInflightLimit(state, runtime)) return refuseOverloaded(ctx);
      readThenAdmit(ctx, state, runtime, endpoint, t);
    });
  }
  if (tenant !== null) readThenAdmit(ctx, state, runtime, endpoint, tenant);
}

/** `limits.maxInflight` reached: read before a credential is checked, and again after an asynchronous check. */
function atInflightLimit(state: GatewayState, runtime: Runtime): boolean {
  return state.live.size >= runtime.profile.limits.maxInflight;
}

function refuseOverloaded(ctx: RequestContext): void {
  sendError(
    ctx,
    aigwError('overloaded', 'the gateway is at its in-flight limit; retry shortly', { headers: { 'retry-after': '1' } }),
    true,
  );
}

/**
 * The body and parse stages, then admission. What runs once the body is in runs inside the request's event
 * listeners, past the listener's guard: its failures are answered here.
 */
function readThenAdmit(ctx: RequestContext, state: GatewayState, runtime: Runtime, endpoint: Endpoint, tenant: Tenant | undefined): void {
  // Gone while a token was verified, or answered by the drain's deadline: nothing to count or read.
  if (ctx.ended || ctx.res.headersSent) return;
  const place = takePlace(tenant, state.places);
  if (place !== undefined && typeof place !== 'function') {
    if (state.bus.active) state.bus.publish(placeRefusal(tenant!, ctx.requestId, ctx.record.model));
    return void refuseTenant(ctx, runtime, tenant, undefined, place, refuse, true);
  }
  ctx.tenantPlace = place;
  // In flight from here: authenticated, reading its body, then admitted and relayed. A health check or a
  // refusal holds nothing, so a client without a key cannot fill limits.maxInflight; nor can a tenant held to a
  // concurrency limit, with bodies sent slowly (tenant-places.ts).
  state.live.add(ctx);
  readRequestBody(
    ctx.req,
    runtime.profile.limits.maxRequestBytes,
    (body) => {
      // Answered by the drain's deadline while its body arrived: nothing is admitted or sent.
      if (ctx.res.headersSent) return;
      try {
        const p = parsed(ctx, runtime, endpoint, body, tenant);
        if (p && state.runtime !== runtime) return readmit(ctx, state, p);
        const admitted = p && admitAndRoute(ctx, state, runtime, tenant, p);
        if (admitted instanceof Promise) admitted.catch((e: unknown) => failedRequest(ctx, e));
      } catch (e) {
        failedRequest(ctx, e);
      }
    },
    ctx.res,
  );
}

/**
 * A request whose body was still arriving (or whose token was being checked) when a reload swapped the runtime is
 * admitted under the profile served now, not the one it began with: it was authenticated and its tenant's limits
 * read under the old one, so a key the reload removed (a leaked one, rotated out) and limits it cut (a runaway
 * spend) went on admitting every request whose head was in before the reload — each could be held open for
 * timeouts.request (for good at 0s) and finished at leisure. Admission is where a request starts to cost: what is
 * admitted before a reload finishes on its profile, as the contract says. The request holds the new runtime too (the
 * one it began on keeps its span's tracer open until it ends), is authenticated again, and takes its tenant's place
 * again under the new limit.
 */
function readmit(ctx: RequestContext, state: GatewayState, p: ProxyRequest): Promise<void> | void {
  // Gone already: its runtime was let go with its response, and nothing is admitted.
  if (ctx.ended) return;
  const fresh = state.runtime;
  fresh.acquire();
  ctx.movedTo = fresh;
  const go = (tenant: Tenant | undefined | null): Promise<void> | void => {
    if (tenant === null || ctx.ended || ctx.res.headersSent) return;
    // Read under the limit it began with: one the reload lowered holds it too (the body is in; nothing to drain).
    const limit = fresh.profile.limits.maxRequestBytes;
    if (p.bytes > limit) return refuseTenant(ctx, fresh, tenant, p.model, tooLarge(limit), sendError);
    ctx.tenantPlace?.();
    ctx.tenantPlace = undefined;
    const place = takePlace(tenant, state.places);
    if (place !== undefined && typeof place !== 'function') {
      if (state.bus.active) state.bus.publish(placeRefusal(tenant!, ctx.requestId, ctx.record.model));
      return refuseTenant(ctx, fresh, tenant, p.model, place, sendError);
    }
    ctx.tenantPlace = place;
    return admitAndRoute(ctx, state, fresh, tenant, p);
  };
  const tenant = authenticate(ctx, fresh);
  if (tenant instanceof Promise) return whileAuthenticating(state, ctx, tenant).then(go);
  return go(tenant);
}

function admitAndRoute(
  ctx: RequestContext,
  state: GatewayState,
  runtime: Runtime,
  tenant: Tenant | undefined,
  p: ProxyRequest,
): Promise<void> | void {
  const route = runtime.routes.get(p.model);
  traceParsed(ctx, p, route !== undefined);
  const badVersion = p.api === 'anthropic' ? anthropicVersionProblem(ctx.req.headers['anthropic-version']) : undefined;
  if (badVersion) return refuseTenant(ctx, runtime, tenant, p.model, badVersion, sendError);
  const refused = (tenant && modelNotAllowed(tenant, p.model)) || (route ? undefined : modelNotFound(p.model));
  if (refused || !route) return refuseTenant(ctx, runtime, tenant, p.model, refused!, sendError);
  ctx.allowedModels = tenant?.allowed;
  const userHeaders = runtime.services.userHeaders;
  if (userHeaders.length && tenant && ctx.user === undefined && !ctx.userByToken) {
    const bad = clientUserProblem(ctx.req.headers, userHeaders);
    if (bad) return refuseTenant(ctx, runtime, tenant, p.model, bad, sendError);
  }
  const admitted = tenant
    ? admit(
        runtime.limiter,
        tenant,
        p,
        runtime.admission,
        state.tokens,
        ctx.requestId,
        route.reachablePrices,
        translatedMaxTokens(route, ctx, tenant),
      )
    : unlimited(p, state.tokens);
  // Only a shared store (Redis) makes admission wait: a request that ends meanwhile is settled once it is decided.
  if (admitted instanceof Promise) {
    const decided = admitted.then((a) => relayAdmitted(ctx, state, runtime, route, p, a));
    ctx.whileAdmitting(decided);
    return decided;
  }
  relayAdmitted(ctx, state, runtime, route, p, admitted);
}

/** What a translation may let this request produce where it names no max_tokens (ModelRoute.translatedMaxTokens). */
function translatedMaxTokens(route: ModelRoute, ctx: RequestContext, tenant: Tenant): number | undefined {
  // Most routes reach no Anthropic target: nothing to resolve.
  if (route.translatedMaxTokens === undefined) return undefined;
  return reachesAnthropic(route, { headers: ctx.req.headers, tenant: tenant.name }) ? route.translatedMaxTokens : undefined;
}

function relayAdmitted(
  ctx: RequestContext,
  state: GatewayState,
  runtime: Runtime,
  route: ModelRoute,
  p: ProxyRequest,
  admitted: Admitted | AigwError,
): void {
  if ('code' in admitted) return sendError(ctx, admitted);
  // Counted by its tenant's limits from here, whatever comes of it: /aigw/stats counts it as they do.
  ctx.record.admitted = true;
  ctx.record.admittedTs = Date.now();
  ctx.record.reservedTokens = admitted.reservedTokens;
  ctx.record.reservedUsd = admitted.reservedUsd;
  ctx.settleWith(admitted);
  // The client left while a shared store admitted it: settled above, nothing to route.
  if (ctx.ended) return;
  // Anthropic's clients read the request id from `request-id`.
  ctx.extraHeaders = p.api === 'anthropic' ? { ...admitted.headers, 'request-id': ctx.requestId } : admitted.headers;
  admitted.headers = undefined;
  // Not awaited: nothing holds a promise for as long as the answer streams (minutes, for each of thousands of
  // streams); routeAndRelay answers its own failures (see attempts.ts).
  void routeAndRelay(ctx, runtime, route, p, state.bus, state.tokens);
}

/** The body's end, then the parse stage: a validated ProxyRequest, or undefined once the client is answered. */
function parsed(
  ctx: RequestContext,
  runtime: Runtime,
  endpoint: Endpoint,
  body: BodyRead,
  tenant: Tenant | undefined,
): ProxyRequest | undefined {
  if (!body) return undefined;
  if (!body.ok) {
    if (body.error.code === 'request_too_large') {
      // Said closing while the body is still arriving: an answer that kept the connection had a client (undici,
      // under openai-node) send its next request behind the rest of this body, which the discard's cap then cut —
      // an ECONNRESET the SDKs retry, on a request that had nothing wrong with it.
      const rest = !ctx.req.complete;
      discardUpload(ctx.req, 4 * runtime.profile.limits.maxRequestBytes);
      void refuseTenant(ctx, runtime, tenant, undefined, body.error, rest ? closingError : sendError, rest);
    } else void refuseTenant(ctx, runtime, tenant, undefined, body.error, closingError, true);
    return undefined;
  }
  const result = parseProxyRequest(endpoint, body.value, contentTypeOf(ctx.req.rawHeaders));
  if (!result.ok) {
    void refuseTenant(ctx, runtime, tenant, undefined, result.error, sendError);
    return undefined;
  }
  const p = result.value;
  ctx.record.model = p.model;
  ctx.record.stream = p.stream;
  return p;
}
