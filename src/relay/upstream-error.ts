/**
 * A backend's error response → OpenAI's shape. Backends answer in many dialects — vLLM's
 * `{"error":{…,"code":400}}` and older `{"object":"error",…}`, FastAPI's `{"detail":…}`, TEI's
 * `{"error":"…","error_type":…}` and `{"message","code","type"}`, text/plain, an HTML page from a proxy.
 * The client always gets `{"error":{message,type,param,code}}` with a string code; 4xx keep their status,
 * and nothing but a JSON message is repeated (no HTML, no stack traces, no internal addresses).
 */
import { aigwError, type AigwError } from '../core/errors.js';
import type { Scrub } from '../core/scrub.js';
import { withoutBom } from '../core/utf8-text.js';

const MAX_MESSAGE = 500;
/** OpenAI's `param` names a request field: longer is not a field name. */
const MAX_PARAM = 128;

/** String codes for backends that send none (vLLM sends the numeric status). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'upstream_auth_error',
  403: 'upstream_auth_error',
  404: 'not_found',
  408: 'request_timeout',
  413: 'request_too_large',
  422: 'invalid_request',
};

interface Extracted {
  message?: string;
  type?: string;
  param?: string | null;
  code?: unknown;
}

function extract(body: Buffer | string, contentType: string | undefined): Extracted {
  // Past a byte-order mark: read as no JSON, a 404 naming a model the replica lacks was the request's, and a 400 lost
  // its message, param and code.
  const text = withoutBom(typeof body === 'string' ? body : body.toString('utf8'));
  // JSON's whitespace before the object too: a 2xx stream's refusal after blank lines (relay/exchange.ts beginStream
  // reads past them) was read as no error at all, a client's 400 the backend's 502, tried on every target.
  if (!contentType?.includes('json') && text.trimStart().charCodeAt(0) !== 0x7b) return {};
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return {};
  }
  if (!j || typeof j !== 'object') return {};
  const o = j as Record<string, unknown>;
  const inner = o.error && typeof o.error === 'object' ? (o.error as Record<string, unknown>) : o;
  const message =
    typeof inner.message === 'string'
      ? inner.message
      : typeof o.error === 'string'
        ? o.error
        : typeof o.detail === 'string'
          ? o.detail
          : undefined;
  return {
    message,
    type: typeof inner.type === 'string' ? inner.type : typeof o.error_type === 'string' ? o.error_type : undefined,
    param: typeof inner.param === 'string' ? inner.param : null,
    code: inner.code,
  };
}

/**
 * A backend's error answer in OpenAI's shape. A 4xx (other than 429, 401 and 403) keeps its status and the
 * backend's message; a 401 or 403 is the backend refusing the gateway's own credentials — the client's key
 * was fine — so it becomes 502 upstream_auth_error; the rest is 502 upstream_error. Every configured
 * secret is scrubbed from the backend's text before it goes anywhere.
 */
export function normalizeUpstreamError(
  status: number,
  contentType: string | undefined,
  body: Buffer,
  backend: string,
  scrub: Scrub,
): AigwError {
  const x = extract(body, contentType);
  const said = x.message === undefined ? undefined : scrub(x.message).slice(0, MAX_MESSAGE);
  const message = said ?? `backend ${backend} answered HTTP ${status}`;
  // A code or param is the backend's text too: it may echo the gateway's credential like a message does.
  const code = typeof x.code === 'string' && /^[a-z0-9_]{1,64}$/.test(x.code) && scrub(x.code) === x.code ? x.code : undefined;
  const param = x.param ? scrub(x.param).slice(0, MAX_PARAM) : null;
  if (status === 401 || status === 403) {
    return aigwError(
      'upstream_auth_error',
      `backend ${backend} refused the gateway's credentials (HTTP ${status})${said === undefined ? '' : `: ${said}`}`.slice(0, MAX_MESSAGE),
    );
  }
  if (status >= 500 || status === 429 || status < 400) {
    // The backend's words after the gateway's, when it said any (else "answered HTTP 503: … answered HTTP 503").
    return aigwError(
      'upstream_error',
      `backend ${backend} answered HTTP ${status}${said === undefined ? '' : `: ${said}`}`.slice(0, MAX_MESSAGE),
    );
  }
  return {
    ...aigwError('upstream_rejected', message, { status, param }),
    type: 'invalid_request_error',
    wireCode: code ?? CODE_BY_STATUS[status] ?? 'invalid_request',
  };
}

/** A model named as not there: vLLM's "The model `x` does not exist.", Ollama's "model \"x\" not found, try pulling it". */
const NO_SUCH_MODEL = /\bmodel\b.{0,300}?\b(?:does not exist|not found)/is;

/**
 * Whether a backend's 404 says it does not serve the model it was sent — vLLM's NotFoundError for a model it was not
 * started with (or a LoRA adapter not loaded), OpenAI's `model_not_found`, Azure's `DeploymentNotFound`, Anthropic's
 * not_found_error naming the model, Ollama's model not pulled. The gateway chose
 * that model name from its profile, so it is the replica that is misconfigured (or still loading), not the request:
 * refused without failing over and never counted against its health, such a replica answered in a millisecond with
 * nothing in flight, and least-request and prefix routing sent it nine requests in ten.
 */
export function modelNotServed(status: number, contentType: string | undefined, body: Buffer): boolean {
  if (status !== 404) return false;
  const x = extract(body, contentType);
  // Azure OpenAI's, for a deployment (the backend's `deployment`, else the target's model) that is not there: "The API
  // deployment for this resource does not exist." names no model, so a replica missing it kept its quick 404s.
  if (x.code === 'model_not_found' || x.code === 'DeploymentNotFound') return true;
  if (x.message === undefined) return false;
  // Anthropic's: not_found_error, "model: claude-…".
  if (x.type === 'not_found_error' && x.message.startsWith('model: ')) return true;
  return NO_SUCH_MODEL.test(x.message.slice(0, 1000));
}

/** OpenAI's answer for a path it has no endpoint at: "Invalid URL (POST /v2/chat/completions)". */
const INVALID_URL = /^Invalid URL \(/;
/**
 * Azure OpenAI's, code "404", for a path its resource has nothing at (a URL without its /openai/deployments part, an
 * api-version it lacks); a deployment it lacks is DeploymentNotFound (modelNotServed).
 */
const AZURE_NO_RESOURCE = 'Resource not found';

/**
 * Whether a backend's 404 says it has nothing at the path it was sent — the path is the gateway's choice (the backend's
 * URL and the endpoint), never the client's, so the replica is misconfigured: a body that is no JSON (nginx's page,
 * Go's `404 page not found`, Express's `Cannot POST …`, none), Starlette's and FastAPI's `{"detail":"Not Found"}`
 * (vLLM's own router among them), OpenAI's "Invalid URL", Azure's "Resource not found". Passed on as the request's,
 * every request that picked such a replica got its 404 while a peer served the model, and it was never ejected. A JSON
 * error about anything else is the request's (a file it names, an id). A 405 is one too: the method is the gateway's.
 */
export function pathNotServed(status: number, contentType: string | undefined, body: Buffer): boolean {
  // A 405 to the gateway's POST: nothing there takes one (nginx's static pages, a web app's catch-all GET route) —
  // no endpoint aigw sends to answers so, whatever its body says.
  if (status === 405) return true;
  if (status !== 404) return false;
  // Past a byte-order mark and whitespace.
  const first = body.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);
  if (first !== 0x7b) return true;
  const x = extract(body, contentType);
  if (x.message === undefined) return false;
  return x.message === 'Not Found' || x.message === AZURE_NO_RESOURCE || INVALID_URL.test(x.message);
}

/** Words of an error's `type` or `code` and the status they mean, most specific first. */
const STATUS_BY_WORD: readonly [RegExp, number][] = [
  [/not_found/, 404],
  [/invalid_request|bad_request|invalid_param|validation/, 400],
  [/authentication|unauthori[sz]ed|invalid_api_key/, 401],
  [/permission|forbidden/, 403],
  [/rate_limit|too_many_requests|quota/, 429],
  [/overloaded|unavailable/, 503],
];

/**
 * The status a 2xx answer whose body is an error object means (relay/exchange.ts reads such a body as an error
 * answer): its numeric code (OpenRouter's, vLLM's), else what its type or code says — a client's mistake is a 400,
 * not the backend failing — else 502, a backend that failed to answer.
 */
export function impliedStatus(body: Buffer | string, contentType: string | undefined): number {
  const x = extract(body, contentType);
  const numeric = typeof x.code === 'number' ? x.code : typeof x.code === 'string' && /^\d{3}$/.test(x.code) ? Number(x.code) : NaN;
  if (numeric >= 400 && numeric <= 599) return numeric;
  const words = `${x.type ?? ''} ${typeof x.code === 'string' ? x.code : ''}`.toLowerCase();
  for (const [re, status] of STATUS_BY_WORD) if (re.test(words)) return status;
  return 502;
}
