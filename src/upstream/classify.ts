/** What kind of upstream failure an error is, and what may be done about it. */
import type { UpstreamFailure } from '../events/types.js';

const CONNECT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CLOSED',
  'ECONNABORTED',
]);
const TIMEOUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'ETIMEDOUT']);
/**
 * The gateway's own host refused a connection before any packet left: the process is out of file descriptors (EMFILE:
 * its clients' connections may hold every one; ENFILE: the system's), or the kernel out of socket memory. Read as the
 * backend's bad answer, such a connect was a 502 naming the backend and counted toward its ejection — a backend never
 * asked was ejected, and stayed so after descriptors came back.
 */
const LOCAL_RESOURCES = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM']);

export function classifyError(err: unknown): UpstreamFailure {
  const code = (err as { code?: string })?.code ?? '';
  if (TIMEOUT.has(code)) return 'timeout';
  if (LOCAL_RESOURCES.has(code)) return 'local_resources';
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'idle_timeout';
  // The pool's refusal of what the backend answered (a 100 Continue nobody asked for, an upgrade): it read a response,
  // so the backend had the request — not the keep-alive race the quick retry on the same target is for.
  if (code === 'UND_ERR_SOCKET' && RESPONSE_REFUSED.has((err as Error).message)) return 'bad_response';
  if (CONNECT.has(code)) return 'connect_error';
  return 'bad_response';
}

/** The messages of a response the pool read and would not take (h1-pool.ts, as undici's client-h1.js names them). */
const RESPONSE_REFUSED = new Set(['bad response', 'bad upgrade']);

/** Statuses worth another backend: overload, server faults, refused credentials and redirects; other 4xx are the caller's. */
export function statusFailsOver(status: number): boolean {
  // 401/403 from a backend refuse the gateway's own credentials: another backend may hold good ones. A 3xx (a path or
  // scheme the backend's URL is configured wrong for, a proxy's login page) is no answer to the request, which the
  // gateway does not follow: kept to the client as a 502, every request that picked such a replica failed while its
  // peers were well, and it was never ejected.
  return status === 429 || status >= 500 || status === 401 || status === 403 || (status >= 300 && status < 400);
}

/**
 * A backend's wait in ms: `retry-after-ms` when it is a number (Azure OpenAI's; OpenAI's SDKs read it first, and a
 * gateway in front of another sends it beside a `retry-after` rounded up to whole seconds: a 200 ms wait read as 1 s
 * went past the retry-after cap), else `retry-after`; undefined without either.
 */
export function backendRetryAfterMs(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | undefined {
  const ms = headers['retry-after-ms'];
  const v = Array.isArray(ms) ? ms[0] : ms;
  if (v !== undefined && /^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return retryAfterMs(headers['retry-after'], now);
}

/**
 * RFC 9110's HTTP-date in each of its three forms (IMF-fixdate, RFC 850's, asctime's) opens with the day's name. V8's
 * Date.parse reads far more: `-1` was the year 2001 and `5, 10` a May 10 — dates past, so a wait of 0, "the backend's
 * word", and the plan came back to an overloaded backend at once, without its backoff.
 */
const HTTP_DATE = /^\s*(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s/i;

/** `retry-after` (seconds or an HTTP date) in ms, or undefined for anything else (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v) * 1000;
  if (!HTTP_DATE.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}
