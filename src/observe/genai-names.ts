/**
 * The GenAI names aigw reports, in the two dialects that exist: Envoy AI Gateway's metric labels (so its
 * dashboards work unchanged) and the OpenTelemetry semantic conventions' span attributes (for tracing backends).
 */
import type { BackendConfig } from '../profile/schema.js';

type Kind = BackendConfig['kind'];

/** gen_ai_operation_name on metrics, as Envoy AI Gateway's metrics factories name each endpoint. */
const METRIC_OPERATION: ReadonlyMap<string, string> = new Map([
  ['chat', 'chat'],
  ['completions', 'completion'],
  ['embeddings', 'embeddings'],
  ['messages', 'messages'],
  ['count_tokens', 'count_tokens'],
]);

/**
 * gen_ai.operation.name on spans: the semantic conventions' well-known values, and where none applies a name of the
 * system's own, as they ask (a token count: `count_tokens`, as on metrics).
 */
const SPAN_OPERATION: ReadonlyMap<string, string> = new Map([
  ['chat', 'chat'],
  ['completions', 'text_completion'],
  ['embeddings', 'embeddings'],
  ['messages', 'chat'],
  ['count_tokens', 'count_tokens'],
]);

/** Envoy AI Gateway labels a backend by its API schema (`azure.openai`); the conventions say `azure.ai.openai`. */
const METRIC_PROVIDER: Readonly<Record<Kind, string>> = { openai: 'openai', anthropic: 'anthropic', 'azure-openai': 'azure.openai' };
const SPAN_PROVIDER: Readonly<Record<Kind, string>> = { openai: 'openai', anthropic: 'anthropic', 'azure-openai': 'azure.ai.openai' };

/** Every provider label value metrics accept from a request event (anything else is `unknown`). */
export const METRIC_PROVIDERS: ReadonlySet<string> = new Set(Object.values(METRIC_PROVIDER));

// Maps, not object literals: an endpoint string such as `valueOf` must not find Object.prototype's members.
export function metricOperation(endpoint: string): string {
  return METRIC_OPERATION.get(endpoint) ?? 'unknown';
}

export function spanOperation(endpoint: string): string {
  return SPAN_OPERATION.get(endpoint) ?? 'unknown';
}

/** The provider name a request event should carry for a backend of this kind (metrics dialect). */
export function metricProvider(kind: Kind): string {
  return METRIC_PROVIDER[kind];
}

export function spanProvider(kind: Kind): string {
  return SPAN_PROVIDER[kind];
}

const METRIC_TO_SPAN: ReadonlyMap<string, string> = new Map(
  (Object.keys(METRIC_PROVIDER) as Kind[]).map((k) => [METRIC_PROVIDER[k], SPAN_PROVIDER[k]]),
);

/** A request event's provider (metrics dialect) in the span dialect; undefined for anything else. */
export function spanProviderOf(metricName: string | undefined): string | undefined {
  return metricName === undefined ? undefined : METRIC_TO_SPAN.get(metricName);
}

/** error.type when nothing more precise is known, as Envoy AI Gateway and the conventions spell it. */
export const ERROR_TYPE_OTHER = '_OTHER';
/** error.type of a request the client left before its answer was complete. */
export const ERROR_TYPE_CLIENT_ABORTED = 'client_aborted';
