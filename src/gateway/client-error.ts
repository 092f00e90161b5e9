/**
 * The answer to a request Node's HTTP server gave up on before (or while) the handler read it — headers too large,
 * not HTTP/1.1, too slow to arrive — as raw text on its socket, in the error shape of the API its client speaks:
 * Anthropic's on `/v1/messages` (the SDKs read `error.type` and the message from there), OpenAI's elsewhere.
 */
import type { Socket } from 'node:net';
import { renderAnthropicError } from '../anthropic/error-shape.js';
import { type AigwError, aigwError } from '../core/errors.js';
import { type ClientApi, ENDPOINT_API, endpointAt } from '../openai/endpoints.js';
import { renderError } from '../openai/error-shape.js';

/** The API of the request a connection is on, as the handler saw it (a body too slow to arrive ends in a 408 here). */
const CLIENT_API = Symbol('aigw.clientApi');
type Tagged = Socket & { [CLIENT_API]?: ClientApi };

/**
 * Called by the handler as a request begins (its API) and when its response is gone (undefined): the next request on
 * a kept-alive connection may be another API's. Only Anthropic's is noted (OpenAI's is the default): OpenAI traffic
 * writes nothing.
 */
export function noteClientApi(socket: Socket, api: ClientApi | undefined): void {
  const s = socket as Tagged;
  const noted = api === 'anthropic' ? api : undefined;
  if (s[CLIENT_API] !== noted) s[CLIENT_API] = noted;
}

/** The API a refused request's client speaks: as its request line names its path, else as the handler saw it. */
function apiOf(err: NodeJS.ErrnoException, socket: Socket): ClientApi {
  const raw = (err as { rawPacket?: unknown }).rawPacket;
  if (Buffer.isBuffer(raw)) {
    // Its path in origin form, or past the scheme and authority in absolute form (gateway/handle.ts targetPath).
    const line = /^[A-Z]{1,16} (?:https?:\/\/[^/\s]{0,255})?(\/[^\s?#]{0,64})/i.exec(raw.toString('latin1', 0, Math.min(raw.length, 400)));
    const endpoint = line ? endpointAt(line[1]!) : undefined;
    if (endpoint) return ENDPOINT_API[endpoint];
  }
  return (socket as Tagged)[CLIENT_API] ?? 'openai';
}

function raw(err: AigwError, reason: string, api: ClientApi): string {
  const r = api === 'anthropic' ? renderAnthropicError(err) : renderError(err);
  let head = `HTTP/1.1 ${r.status} ${reason}\r\n`;
  for (const [k, v] of Object.entries(r.headers)) head += `${k}: ${v}\r\n`;
  return `${head}connection: close\r\n\r\n${r.body}`;
}

export function clientErrorResponse(err: NodeJS.ErrnoException, socket: Socket): string {
  const api = apiOf(err, socket);
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return raw(aigwError('request_timeout', 'the request did not arrive in time'), 'Request Timeout', api);
  // A 1 MB bearer token (or any header block past MAX_CLIENT_HEADER_BYTES, server.ts) is cut here, before a byte of it is decoded.
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    const error = aigwError('request_too_large', 'the request headers are larger than the gateway accepts', { status: 431 });
    return raw(error, 'Request Header Fields Too Large', api);
  }
  return raw(aigwError('invalid_request', 'the request is not valid HTTP/1.1'), 'Bad Request', api);
}

/**
 * The answer to a CONNECT (a client that takes the gateway for an HTTP proxy): node:http hands it to a 'connect'
 * listener with the bare socket, and without one closed the connection unanswered — the client saw a reset.
 */
export function connectRefusal(): string {
  const error = aigwError('method_not_allowed', 'CONNECT is not allowed: the gateway is no proxy; use POST or GET', {
    headers: { allow: 'POST, GET' },
  });
  return raw(error, 'Method Not Allowed', 'openai');
}
