/**
 * Responses the gateway writes itself: errors in the shape of the API the client called (openai/error-shape.ts,
 * anthropic/error-shape.ts) and small JSON texts.
 */
import { renderAnthropicError } from '../anthropic/error-shape.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AigwError, aigwError } from '../core/errors.js';
import { answerFailure } from '../core/guard.js';
import { renderError } from '../openai/error-shape.js';
import type { RequestContext } from './request-context.js';

/**
 * Connections an answer of the gateway's closes (`connection: close`). node:http goes on parsing what the client
 * pipelined behind such an answer, and each request was handled — authenticated, admitted, sent upstream — though its
 * answer could never be written: a backend worked on it until the close aborted it, and a tenant paid its reservation
 * (20 of 20 chats pipelined behind a 404 reached the backend).
 */
const closing = new WeakSet<object>();

/** Whether an answer on this connection closes it: a request read on it after that is never answered. */
export function closesAfterAnswer(socket: object): boolean {
  return closing.has(socket);
}

/**
 * The connection of `ctx` closes after its answer, said before the answer is written (one that waits for its
 * x-ratelimit-* headers, handle.ts): a request pipelined behind it meanwhile is never handled, as behind any other.
 */
export function closingAfterAnswer(ctx: RequestContext): void {
  closing.add(ctx.req.socket);
}

/**
 * Requests answered before their body was read whole (a refusal, /healthz or /v1/models, which read none): what the
 * parser meets in the rest of that body is no request of its own, and gets no answer of its own (server.ts).
 */
const answeredBeforeBody = new WeakSet<IncomingMessage>();

/** Whether `req` was answered while its body was still arriving. */
export function answeredBeforeItsBody(req: IncomingMessage): boolean {
  return answeredBeforeBody.has(req);
}

function noteAnswered(req: IncomingMessage): void {
  if (!req.complete) answeredBeforeBody.add(req);
}

export function sendError(ctx: RequestContext, err: AigwError, closeConnection = false): void {
  const { res, record } = ctx;
  if (res.headersSent || res.destroyed) return;
  noteAnswered(ctx.req);
  if (closeConnection) closing.add(ctx.req.socket);
  const r =
    ctx.api === 'anthropic'
      ? renderAnthropicError(err, { requestId: ctx.requestId, base: ctx.extraHeaders })
      : renderError(err, ctx.extraHeaders);
  r.headers['x-request-id'] = ctx.requestId;
  if (closeConnection) r.headers.connection = 'close';
  record.status = r.status;
  record.errorCode = err.wireCode ?? err.code;
  record.errorType = err.code;
  // Bytes, not UTF-16 units: the message may name what the client sent (a model outside ASCII).
  record.bytesOut += Buffer.byteLength(r.body);
  res.writeHead(r.status, r.headers);
  res.end(r.body);
}

/** What a client is told of a handler's failure (a bug): that it happened, nothing of it. */
const handlerFailed = (): AigwError => aigwError('internal_error', 'the gateway failed to handle this request');

/** The answer to a request whose handler failed (a bug): 500, nothing of the failure shown. */
export function answerInternalError(res: ServerResponse): void {
  const r = renderError(handlerFailed());
  res.writeHead(r.status, r.headers).end(r.body);
}

/**
 * A failure of a stage that runs after the listener returned: reported as the listener's guard would, and
 * answered in the client's API shape, with its request id, and recorded (status 500, internal_error).
 */
export function failedRequest(ctx: RequestContext, err: unknown): void {
  answerFailure(ctx.res, err, () => sendError(ctx, handlerFailed()));
}

/** A small JSON answer of the gateway's own, with the tenant's x-ratelimit-* headers when they were read (handle.ts). */
export function sendJsonText(ctx: RequestContext, status: number, body: string): void {
  noteAnswered(ctx.req);
  ctx.record.status = status;
  ctx.res.writeHead(status, {
    ...ctx.extraHeaders,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': ctx.requestId,
  });
  ctx.res.end(body);
}

export function modelNotFound(model: string): AigwError {
  const shown = model.length > 200 ? `${model.slice(0, 200)}…` : model;
  return aigwError('model_not_found', `The model \`${shown}\` does not exist`, { param: 'model' });
}
