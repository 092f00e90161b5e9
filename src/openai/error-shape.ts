/** The one place where an AigwError becomes OpenAI's error JSON (every listener's errors go through here). */
import { type AigwError, statusOf, typeOf } from '../core/errors.js';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

export function openAIErrorBody(err: AigwError): OpenAIErrorBody {
  return { error: { message: err.message, type: typeOf(err), param: err.param ?? null, code: err.wireCode ?? err.code } };
}

/**
 * Status, headers and serialized body of an error response. `base` headers (a tenant's x-ratelimit-*) come
 * first; the error's own (retry-after, www-authenticate) win over them.
 */
export function renderError(
  err: AigwError,
  base?: Readonly<Record<string, string>>,
): { status: number; headers: Record<string, string>; body: string } {
  const body = JSON.stringify(openAIErrorBody(err));
  return {
    status: statusOf(err),
    headers: { ...base, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...err.headers },
    body,
  };
}

/** The final SSE frame of a stream that broke after bytes were sent: `data: {"error":…}` and no [DONE]. */
export function renderStreamErrorFrame(err: AigwError): string {
  return `data: ${JSON.stringify(openAIErrorBody(err))}\n\n`;
}
