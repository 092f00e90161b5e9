/**
 * Responses the gateway writes itself: errors in the shape of the API the client called (openai/error-shape.ts,
 * anthropic/error-shape.ts) and small JSON texts.
 */
import { renderAnthropicError } from '../anthropic/error-shape.js';
import { type AigwError, aigwError } from '../core/errors.js';
import { renderError } from '../openai/error-shape.js';
import type { RequestContext } from './request-context.js';

export function sendError(ctx: RequestContext, err: AigwError, closeConnection = false): void {
  const { res, record } = ctx;
  if (res.headersSent || res.destroyed) return;
  const r =
    ctx.api === 'anthropic'
      ? renderAnthropicError(err, { requestId: ctx.requestId, base: ctx.extraHeaders })
      : renderError(err, ctx.extraHeaders);
  r.headers['x-request-id'] = ctx.requestId;
  if (closeConnection) r.headers.connection = 'close';
  record.status = r.status;
  record.errorCode = err.wireCode ?? err.code;
  record.errorType = err.code;
  record.bytesOut += r.body.length;
  res.writeHead(r.status, r.headers);
  res.end(r.body);
}

export function sendJsonText(ctx: RequestContext, status: number, body: string): void {
  ctx.record.status = status;
  ctx.res.writeHead(status, {
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
