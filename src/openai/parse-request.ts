/** The parse stage: the client's body → a validated ProxyRequest, or an error value (never a throw). */
import { aigwError, type Result } from '../core/errors.js';
import type { Endpoint } from './endpoints.js';
import { scanTopLevel, type TopLevelSpan } from './json-scan.js';
import { describeIssue, RoutedRequest } from './wire.js';

export interface ProxyRequest {
  endpoint: Endpoint;
  /** The body exactly as the client sent it, and its size in bytes. */
  text: string;
  bytes: number;
  json: Record<string, unknown>;
  /** The public model name (the last `model` key, which is also what a backend would read). */
  model: string;
  modelSpan: TopLevelSpan;
  spans: Map<string, TopLevelSpan>;
  stream: boolean;
  /** What the client asked for in stream_options.include_usage. */
  clientIncludeUsage: boolean;
  /** max_tokens / max_completion_tokens, when given. */
  maxTokens: number | undefined;
}

/** Deeper nesting than any real request (tool schemas included) is refused before JSON.parse sees it. */
export const MAX_JSON_DEPTH = 128;

function isJsonContentType(ct: string | undefined): boolean {
  if (ct === undefined) return true;
  const base = ct.split(';', 1)[0]!.trim().toLowerCase();
  return base === 'application/json' || base.endsWith('+json');
}

export function parseProxyRequest(endpoint: Endpoint, body: Buffer, contentType: string | undefined): Result<ProxyRequest> {
  if (!isJsonContentType(contentType)) {
    return {
      ok: false,
      error: aigwError('invalid_request', `expected content-type application/json, got ${contentType}`, { param: null }),
    };
  }
  const text = body.toString('utf8');
  const scan = scanTopLevel(text, MAX_JSON_DEPTH);
  if (!scan.ok) {
    const message =
      scan.reason === 'too_deep' ? `the request body nests deeper than ${MAX_JSON_DEPTH} levels` : 'the request body must be a JSON object';
    return { ok: false, error: aigwError('invalid_json', message) };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: aigwError('invalid_json', `the request body is not valid JSON: ${(e as Error).message}`) };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, error: aigwError('invalid_json', 'the request body must be a JSON object') };
  }
  const obj = json as Record<string, unknown>;
  const modelSpan = scan.spans.get('model');
  if (obj.model === undefined || !modelSpan) {
    return { ok: false, error: aigwError('missing_model', 'you must provide a model parameter', { param: 'model' }) };
  }
  if (typeof obj.model !== 'string') {
    return { ok: false, error: aigwError('invalid_request', `model: expected a string, got ${typeof obj.model}`, { param: 'model' }) };
  }
  const parsed = RoutedRequest[endpoint].safeParse(obj);
  if (!parsed.success) {
    const { message, param } = describeIssue(parsed.error);
    return { ok: false, error: aigwError('invalid_request', message, { param }) };
  }
  const so = obj.stream_options as { include_usage?: unknown } | null | undefined;
  const maxTokens = (obj.max_completion_tokens ?? obj.max_tokens) as number | null | undefined;
  return {
    ok: true,
    value: {
      endpoint,
      text,
      bytes: body.length,
      json: obj,
      model: obj.model,
      modelSpan,
      spans: scan.spans,
      stream: obj.stream === true,
      clientIncludeUsage: so?.include_usage === true,
      maxTokens: maxTokens ?? undefined,
    },
  };
}
