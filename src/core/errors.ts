/** Errors as values: every failure aigw reports has a stable code, an HTTP status and an OpenAI error type. */

/** The catalogue of codes. Status and type are looked up here and nowhere else. */
export const ERROR_CATALOGUE = {
  invalid_json: { status: 400, type: 'invalid_request_error' },
  missing_model: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  invalid_api_key: { status: 401, type: 'invalid_request_error' },
  model_not_allowed: { status: 403, type: 'permission_error' },
  /** A browser page from another site (or a rebound DNS name) asked the admin listener. */
  forbidden: { status: 403, type: 'permission_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  request_timeout: { status: 408, type: 'invalid_request_error' },
  request_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  rate_limit_exceeded: { status: 429, type: 'requests' },
  upstream_error: { status: 502, type: 'server_error' },
  /** A backend's own 4xx, passed through with its status and message. */
  upstream_rejected: { status: 400, type: 'invalid_request_error' },
  bad_upstream_response: { status: 502, type: 'server_error' },
  response_too_large: { status: 502, type: 'server_error' },
  upstream_stream_error: { status: 502, type: 'server_error' },
  upstream_idle_timeout: { status: 504, type: 'server_error' },
  /** The backend refused the gateway's own credentials (the client's key was fine). */
  upstream_auth_error: { status: 502, type: 'server_error' },
  /** The backend's connection queue is full, or the wait for a connection timed out (retryable). */
  upstream_unavailable: { status: 503, type: 'server_error' },
  no_healthy_backend: { status: 503, type: 'server_error' },
  overloaded: { status: 503, type: 'server_error' },
  rate_limit_store_unavailable: { status: 503, type: 'server_error' },
  /** The drain's deadline passed with the request under way: retry it (another replica). */
  gateway_shutting_down: { status: 503, type: 'server_error' },
  upstream_timeout: { status: 504, type: 'server_error' },
  internal_error: { status: 500, type: 'server_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** A failure as a plain value; mapped to OpenAI's JSON shape at one edge (openai/error-shape). */
export interface AigwError {
  readonly code: ErrorCode;
  readonly message: string;
  /** The request field at fault, when there is one. */
  readonly param?: string | null;
  /** Overrides the catalogue's type (429 uses the limit kind: tokens, requests, concurrency). */
  readonly type?: string;
  /** The code shown to the client when it differs from `code` (a backend's own string code). */
  readonly wireCode?: string;
  /** Overrides the catalogue's status (an upstream's 4xx passed through keeps its own). */
  readonly status?: number;
  /** Extra response headers (retry-after, x-should-retry, www-authenticate). */
  readonly headers?: Readonly<Record<string, string>>;
}

export function aigwError(code: ErrorCode, message: string, extra?: Omit<AigwError, 'code' | 'message'>): AigwError {
  return { code, message, ...extra };
}

export function statusOf(err: AigwError): number {
  return err.status ?? ERROR_CATALOGUE[err.code].status;
}

export function typeOf(err: AigwError): string {
  return err.type ?? ERROR_CATALOGUE[err.code].type;
}

/** A result that is either a value or an AigwError — for stages that must not throw on bad input. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: AigwError };
