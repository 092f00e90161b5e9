/**
 * The gateway's HTTP surface (contract §3), composed in one place: path → body → parse → route/upstream/relay.
 * `handle` works on any node:http request/response pair.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { aigwError } from '../core/errors.js';
import { nextId } from '../core/ids.js';
import type { EventBus } from '../events/bus.js';
import { parseProxyRequest, type Endpoint } from './parse-request.js';
import { proxy } from './proxy.js';
import { RequestContext } from './request-context.js';
import { readRequestBody } from './request-body.js';
import { modelNotFound, sendError, sendJsonText } from './respond.js';
import type { Runtime } from './runtime.js';
import type { Limiter } from '../tenants/limiter.js';
import { modelNotAllowed, type Tenant } from '../tenants/keys.js';
import { estimateTokens } from '../tenants/estimate.js';
import { actualCost, completeTokenCounts } from '../tenants/settle.js';

export interface GatewayState {
  runtime: Runtime;
  readonly bus: EventBus;
  readonly limiter: Limiter;
  inflight: number;
  draining: boolean;
}

const PROXY_PATHS: Record<string, Endpoint> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
};

/** How long the rest of a refused upload is read (and dropped) before the connection is closed. */
const LINGER_MS = 2000;

const REQUEST_ID_RE = /^[\x21-\x7e]{1,128}$/;

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : nextId('req');
}

export function createHandler(state: GatewayState): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const ctx = new RequestContext(req, res, requestIdOf(req), state.bus);
    state.inflight++;
    res.on('close', () => {
      state.inflight--;
      // A response aigw itself cut (truncate mode, a broken upstream body) is not a client leaving.
      if (!res.writableFinished && !ctx.truncated) {
        ctx.clientGone = true;
        ctx.onClientGone?.();
      }
      ctx.finish();
    });
    if (state.draining) res.setHeader('connection', 'close');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const endpoint = PROXY_PATHS[path];
    if (endpoint !== undefined) {
      if (req.method !== 'POST') return methodNotAllowed(ctx, 'POST');
      ctx.endpoint = endpoint;
      return void handleProxy(ctx, state, endpoint);
    }
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(ctx, 'GET');
      return sendJsonText(ctx, state.draining ? 503 : 200, state.draining ? '{"status":"draining"}' : '{"status":"ok"}');
    }
    if (path === '/v1/models' || path.startsWith('/v1/models/')) {
      if (req.method !== 'GET') return methodNotAllowed(ctx, 'GET');
      const tenant = authenticate(ctx, state.runtime);
      if (tenant === null) return;
      return listModels(ctx, state.runtime, path, tenant);
    }
    sendError(ctx, aigwError('not_found', `no route for ${req.method} ${path}`));
  };
}

function methodNotAllowed(ctx: RequestContext, allow: string): void {
  ctx.res.setHeader('allow', allow);
  sendError(ctx, aigwError('method_not_allowed', `${ctx.req.method} is not allowed here; use ${allow}`));
}

/** The caller's tenant (undefined when no tenants are configured); null after answering 401. */
function authenticate(ctx: RequestContext, runtime: Runtime): Tenant | undefined | null {
  if (!runtime.tenants.enabled) return undefined;
  const t = runtime.tenants.authenticate(ctx.req.headers, ctx.req.rawHeaders);
  if ('code' in t) {
    sendError(ctx, t);
    return null;
  }
  ctx.tenant = t.name;
  return t;
}

function listModels(ctx: RequestContext, runtime: Runtime, path: string, tenant: Tenant | undefined): void {
  if (path === '/v1/models')
    return sendJsonText(
      ctx,
      200,
      runtime.modelList((m) => !tenant?.allowed || tenant.allowed.has(m)),
    );
  const id = decodeURIComponent(path.slice('/v1/models/'.length));
  const entry = runtime.modelEntry(id);
  if (!entry) return sendError(ctx, modelNotFound(id));
  const refused = tenant && modelNotAllowed(tenant, id);
  if (refused) return sendError(ctx, refused);
  sendJsonText(ctx, 200, entry);
}

async function handleProxy(ctx: RequestContext, state: GatewayState, endpoint: Endpoint): Promise<void> {
  const runtime = state.runtime;
  const limits = runtime.profile.limits;
  if (state.inflight > limits.maxInflight) {
    return sendError(
      ctx,
      aigwError('overloaded', 'the gateway is at its in-flight limit; retry shortly', { headers: { 'retry-after': '1' } }),
      true,
    );
  }
  const tenant = authenticate(ctx, runtime);
  if (tenant === null) return void ctx.req.resume();
  const body = await readRequestBody(ctx.req, limits.maxRequestBytes, runtime.profile.timeouts.request);
  if (!body) return;
  if (!body.ok) {
    if (body.error.code === 'request_too_large') {
      // Answer at once, then keep reading (and discarding) what the client is still uploading, so it can
      // read the 413 instead of running into a reset mid-upload — up to a bound, then the socket goes.
      let discarded = 0;
      const cap = 4 * limits.maxRequestBytes;
      const linger = setTimeout(() => ctx.req.socket.destroy(), LINGER_MS);
      linger.unref();
      ctx.req.on('end', () => clearTimeout(linger));
      ctx.req.on('data', (c: Buffer) => {
        discarded += c.length;
        if (discarded > cap) ctx.req.socket.destroy();
      });
      ctx.req.resume();
      return sendError(ctx, body.error);
    }
    return sendError(ctx, body.error, true);
  }
  const parsed = parseProxyRequest(endpoint, body.value, ctx.req.headers['content-type']);
  if (!parsed.ok) return sendError(ctx, parsed.error);
  const p = parsed.value;
  ctx.model = p.model;
  ctx.stream = p.stream;
  if (tenant) {
    const refused = modelNotAllowed(tenant, p.model);
    if (refused) return sendError(ctx, refused);
    if (!runtime.routes.has(p.model)) return sendError(ctx, modelNotFound(p.model));
    const estimate = estimateTokens(body.value.length, p.maxTokens, limits.defaultCompletionTokens, endpoint);
    const admission = await state.limiter.admit(tenant, p.model, estimate.total, ctx.requestId, ctx.requestId);
    if ('code' in admission) return sendError(ctx, admission);
    ctx.extraHeaders = admission.headers;
    const renew =
      admission.reservation?.specs.some((s) => s.concurrency !== undefined) && runtime.profile.limits.store
        ? setInterval(() => void admission.store.renew(admission.reservation!).catch(() => {}), runtime.profile.limits.store.leaseTtl / 3)
        : undefined;
    ctx.onFinish = async () => {
      if (renew) clearInterval(renew);
      await completeTokenCounts(ctx, p);
      if (admission.reservation) await admission.store.settle(admission.reservation, actualCost(ctx, estimate.prompt)).catch(() => {});
    };
  } else {
    ctx.onFinish = () => (ctx.answered && ctx.inputSource === 'none' ? completeTokenCounts(ctx, p) : undefined);
  }
  try {
    await proxy(ctx, runtime, p, state.bus);
  } catch (e) {
    // A bug, not a condition: answer cleanly if we still can, never with a stack trace.
    if (!ctx.res.headersSent) sendError(ctx, aigwError('internal_error', 'the gateway failed to handle this request'));
    else ctx.res.destroy();
    process.emitWarning(`aigw: internal error on ${ctx.requestId}: ${(e as Error)?.stack ?? e}`);
  }
}
