/**
 * The one place where an AigwError becomes Anthropic's error JSON (`{"type":"error","error":{type,message}}`),
 * for the Anthropic paths: the response of a refused request, and the `event: error` of a stream that broke.
 */
import { type AigwError, statusOf } from '../core/errors.js';

/** Anthropic's error types by HTTP status (https://docs.anthropic.com/en/api/errors). */
const TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** Anthropic's error type for a status: 4xx it has no name for are invalid requests, 5xx are api errors. */
export function anthropicErrorType(status: number): string {
  return TYPE_BY_STATUS[status] ?? (status < 500 ? 'invalid_request_error' : 'api_error');
}

/** aigw answers 503 when it is overloaded or has no healthy backend; Anthropic's clients know that as 529. */
export function anthropicStatus(err: AigwError): number {
  const status = statusOf(err);
  return status === 503 ? 529 : status;
}

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id: string | null;
}

export function anthropicErrorBody(err: AigwError, requestId?: string): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(anthropicStatus(err)), message: err.message }, request_id: requestId ?? null };
}

/**
 * Status, headers and serialized body of an error response on an Anthropic path. `base` headers (a tenant's
 * x-ratelimit-*) come first; the error's own (retry-after, www-authenticate) win over them.
 */
export function renderAnthropicError(
  err: AigwError,
  opts: { requestId?: string; base?: Readonly<Record<string, string>> } = {},
): { status: number; headers: Record<string, string>; body: string } {
  const body = JSON.stringify(anthropicErrorBody(err, opts.requestId));
  const headers: Record<string, string> = {
    ...opts.base,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...err.headers,
  };
  if (opts.requestId !== undefined) headers['request-id'] = opts.requestId;
  return { status: anthropicStatus(err), headers, body };
}

/** The final frame of a stream that broke after bytes were sent: `event: error`, and no `message_stop` after it. */
export function renderAnthropicStreamError(err: AigwError): string {
  return `event: error\ndata: ${JSON.stringify(anthropicErrorBody(err))}\n\n`;
}
