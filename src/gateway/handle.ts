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
import { sendError, sendJsonText } from './respond.js';
import type { Runtime } from './runtime.js';

export interface GatewayState {
  runtime: Runtime;
  readonly bus: EventBus;
  inflight: number;
  draining: boolean;
}

const PROXY_PATHS: Record<string, Endpoint> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
};

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
      if (!res.writableFinished) {
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
      return listModels(ctx, state.runtime, path);
    }
    sendError(ctx, aigwError('not_found', `no route for ${req.method} ${path}`));
  };
}

function methodNotAllowed(ctx: RequestContext, allow: string): void {
  ctx.res.setHeader('allow', allow);
  sendError(ctx, aigwError('method_not_allowed', `${ctx.req.method} is not allowed here; use ${allow}`));
}

function listModels(ctx: RequestContext, runtime: Runtime, path: string): void {
  if (path === '/v1/models') return sendJsonText(ctx, 200, runtime.modelList(() => true));
  const id = decodeURIComponent(path.slice('/v1/models/'.length));
  const entry = runtime.modelEntry(id);
  if (!entry) return sendError(ctx, aigwError('model_not_found', `The model \`${id}\` does not exist`, { param: 'model' }));
  sendJsonText(ctx, 200, entry);
}

async function handleProxy(ctx: RequestContext, state: GatewayState, endpoint: Endpoint): Promise<void> {
  const runtime = state.runtime;
  const limits = runtime.profile.limits;
  if (state.inflight > limits.maxInflight) {
    return sendError(ctx, aigwError('overloaded', 'the gateway is at its in-flight limit; retry shortly', { headers: { 'retry-after': '1' } }), true);
  }
  const body = await readRequestBody(ctx.req, limits.maxRequestBytes, runtime.profile.timeouts.request);
  if (!body) return;
  if (!body.ok) return sendError(ctx, body.error, true);
  const parsed = parseProxyRequest(endpoint, body.value, ctx.req.headers['content-type']);
  if (!parsed.ok) return sendError(ctx, parsed.error);
  ctx.model = parsed.value.model;
  ctx.stream = parsed.value.stream;
  try {
    await proxy(ctx, runtime, parsed.value, state.bus);
  } catch (e) {
    // A bug, not a condition: answer cleanly if we still can, never with a stack trace.
    if (!ctx.res.headersSent) sendError(ctx, aigwError('internal_error', 'the gateway failed to handle this request'));
    else ctx.res.destroy();
    process.emitWarning(`aigw: internal error on ${ctx.requestId}: ${(e as Error)?.stack ?? e}`);
  }
}
