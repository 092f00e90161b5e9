/**
 * The label values of the GenAI metrics for one `request` event, each bounded to a known set: a client or a
 * backend can put anything in a model name or an error code, and none of it may become a new series.
 */
import { ERROR_CATALOGUE } from '../core/errors.js';
import type { RequestEvent } from '../events/types.js';
import { ERROR_TYPE_CLIENT_ABORTED, ERROR_TYPE_OTHER, METRIC_PROVIDERS, metricOperation } from './genai-names.js';

export interface LabelScope {
  /** Configured public models, backends and tenants: the only values labels may take. */
  models: ReadonlySet<string>;
  backends: ReadonlySet<string>;
  tenants: ReadonlySet<string>;
  /** The upstream model names the targets send: the request and response model labels take only these. */
  upstreamModels: ReadonlySet<string>;
}

const ERROR_TYPES: ReadonlySet<string> = new Set([...Object.keys(ERROR_CATALOGUE), ERROR_TYPE_OTHER, ERROR_TYPE_CLIENT_ABORTED]);

/** Labels in Envoy AI Gateway's order; `errorType` is '' for a success (the series then has no error_type). */
export interface GenAiLabels {
  operation: string;
  provider: string;
  /** The public model the client asked for. */
  originalModel: string;
  /** The model sent upstream (after the target's override). */
  requestModel: string;
  /** The model the backend said it answered with. */
  responseModel: string;
  errorType: string;
}

const UNKNOWN = 'unknown';

/** Whether the request ended without a complete answer for the client. */
export function failed(e: RequestEvent): boolean {
  return e.status < 200 || e.status >= 400 || e.truncated || e.clientAborted || e.errorType !== undefined;
}

/** The error.type of a failed request: the gateway's own class when given, else its error code, else `_OTHER`. */
export function errorTypeOf(e: RequestEvent): string {
  if (!failed(e)) return '';
  for (const candidate of [e.errorType, e.errorCode]) if (candidate !== undefined && ERROR_TYPES.has(candidate)) return candidate;
  if (e.clientAborted && !e.truncated && e.status < 400) return ERROR_TYPE_CLIENT_ABORTED;
  return ERROR_TYPE_OTHER;
}

export function genAiLabels(e: RequestEvent, scope: LabelScope): GenAiLabels {
  const originalModel = scope.models.has(e.model) ? e.model : UNKNOWN;
  // Before routing there is no upstream name: what would be sent is the client's model, as Envoy reports it.
  const requestModel =
    e.upstreamModel !== undefined ? (scope.upstreamModels.has(e.upstreamModel) ? e.upstreamModel : UNKNOWN) : originalModel;
  const served = e.backend !== undefined && scope.backends.has(e.backend);
  let responseModel = UNKNOWN;
  if (e.responseModel !== undefined) {
    if (scope.upstreamModels.has(e.responseModel)) responseModel = e.responseModel;
  } else if (served && e.status >= 200 && e.status < 400) {
    // Until the request path reports the answer's own model: backends answer with the name they were sent.
    responseModel = requestModel;
  }
  let provider = UNKNOWN;
  if (e.provider !== undefined) {
    if (METRIC_PROVIDERS.has(e.provider)) provider = e.provider;
  } else if (served) {
    // Until the request path reports it: every backend kind this build serves speaks OpenAI's API.
    provider = 'openai';
  }
  return { operation: metricOperation(e.endpoint), provider, originalModel, requestModel, responseModel, errorType: errorTypeOf(e) };
}
