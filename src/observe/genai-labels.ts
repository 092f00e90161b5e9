/**
 * The label values of the GenAI metrics for one `request` event, each bounded to a known set: a client or a
 * backend can put anything in a model name or an error code, and none of it may become a new series.
 */
import { ERROR_CATALOGUE } from '../core/errors.js';
import type { RequestEvent } from '../events/types.js';
import { ERROR_TYPE_CLIENT_ABORTED, ERROR_TYPE_OTHER, METRIC_PROVIDERS, metricOperation } from './genai-names.js';
import type { LearnedNames } from './learned-names.js';

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

/**
 * `learned` admits response model names beyond the configured ones (a backend that answers with a dated snapshot
 * name, as OpenAI does), bounded; without it only configured names are kept.
 */
export function genAiLabels(e: RequestEvent, scope: LabelScope, learned?: LearnedNames): GenAiLabels {
  const originalModel = scope.models.has(e.model) ? e.model : UNKNOWN;
  // Before routing there is no upstream name: what would be sent is the client's model, as Envoy reports it.
  const requestModel =
    e.upstreamModel !== undefined ? (scope.upstreamModels.has(e.upstreamModel) ? e.upstreamModel : UNKNOWN) : originalModel;
  const r = e.responseModel;
  const answered = e.status >= 200 && e.status < 300;
  const responseModel = r !== undefined && (scope.upstreamModels.has(r) || (answered && learned?.admit(r) === true)) ? r : UNKNOWN;
  const provider = e.provider !== undefined && METRIC_PROVIDERS.has(e.provider) ? e.provider : UNKNOWN;
  return { operation: metricOperation(e.endpoint), provider, originalModel, requestModel, responseModel, errorType: errorTypeOf(e) };
}
