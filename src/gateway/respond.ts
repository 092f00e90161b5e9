/** Error responses, from one place: OpenAI's shape, x-request-id, and the request's record updated. */
import { aigwError, type AigwError } from '../core/errors.js';
import { renderError } from '../openai/error-shape.js';
import type { RequestContext } from './request-context.js';

export function sendError(ctx: RequestContext, err: AigwError, closeConnection = false): void {
  const { res } = ctx;
  if (res.headersSent || res.destroyed) return;
  const r = renderError(err);
  if (ctx.extraHeaders) Object.assign(r.headers, ctx.extraHeaders, err.headers);
  r.headers['x-request-id'] = ctx.requestId;
  if (closeConnection) r.headers.connection = 'close';
  ctx.status = r.status;
  ctx.errorCode = err.wireCode ?? err.code;
  ctx.bytesOut += r.body.length;
  res.writeHead(r.status, r.headers);
  res.end(r.body);
}

export function sendJsonText(ctx: RequestContext, status: number, body: string): void {
  ctx.status = status;
  ctx.res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': ctx.requestId,
  });
  ctx.res.end(body);
}

export function modelNotFound(model: string): AigwError {
  return aigwError('model_not_found', `The model \`${model}\` does not exist`, { param: 'model' });
}
