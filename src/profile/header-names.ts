/** Header names a profile sets for the gateway (backends.X.forwardIdentity), checked: real names, none the gateway owns. */
import type { BackendConfig } from './schema.js';
import { quoted } from './suggest.js';

type ForwardIdentityConfig = NonNullable<BackendConfig['forwardIdentity']>;

/** RFC 9110 token characters: what a header name may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
/** What a header name is made of, as problems say it. */
export const HEADER_CHARS = "letters, digits and !#$%&'*+.^_`|~-";

/** Whether a request can carry a header of this name (compared lowercased, as node:http gives names). */
export function isHeaderName(name: string): boolean {
  return TOKEN.test(name.toLowerCase());
}

/** Headers the gateway or the HTTP layer own; an identity header must not take their place. */
const RESERVED = new Set([
  'authorization',
  'api-key',
  'x-api-key',
  'cookie',
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'traceparent',
  'tracestate',
  'x-request-id',
  'x-forwarded-for',
  'accept-encoding',
  'expect',
]);

/**
 * Headers that frame a request on its connection: the gateway writes them for each request it sends. Set for a
 * backend too, they went beside the gateway's own — two content-lengths, or a transfer-encoding over a length, which
 * a backend refuses (400) or, worse, reads as the end of one request and the start of the next on a kept connection.
 */
const FRAMING = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'proxy-connection',
]);

/** Whether a header of this name frames the request on its connection: never a backend's configured header. */
export function isFramingHeader(name: string): boolean {
  return FRAMING.has(name.toLowerCase());
}

/** Problems with a forwardIdentity block, each a sentence naming the key (profile checks report them). */
export function forwardIdentityProblems(cfg: ForwardIdentityConfig): { key: 'tenantHeader' | 'userHeader'; message: string }[] {
  const out: { key: 'tenantHeader' | 'userHeader'; message: string }[] = [];
  for (const key of ['tenantHeader', 'userHeader'] as const) {
    const name = cfg[key]?.toLowerCase();
    if (name === undefined) continue;
    if (!TOKEN.test(name)) out.push({ key, message: `expected a header name (${HEADER_CHARS}), got ${quoted(cfg[key]!)}` });
    else if (RESERVED.has(name))
      out.push({ key, message: `${name} is set by the gateway or the HTTP layer; choose another header such as x-aigw-tenant` });
  }
  if (cfg.tenantHeader !== undefined && cfg.tenantHeader.toLowerCase() === cfg.userHeader?.toLowerCase())
    out.push({ key: 'userHeader', message: 'userHeader must differ from tenantHeader' });
  return out;
}

const NOT_LETTER_DIGIT_DASH = /[^a-z0-9-]/;
const NOT_LETTER_DIGIT_DASH_ALL = /[^a-z0-9-]/g;

/**
 * A lower-case header name as the checks compare it: every character but a letter, a digit or a dash read as a
 * dash. CGI and WSGI servers read `x_aigw_tenant` as `x-aigw-tenant` (both become HTTP_X_AIGW_TENANT), and
 * some frameworks fold other punctuation the same way: a spelling must not smuggle what the dashes cannot.
 */
export function headerKey(name: string): string {
  return NOT_LETTER_DIGIT_DASH.test(name) ? name.replace(NOT_LETTER_DIGIT_DASH_ALL, '-') : name;
}
