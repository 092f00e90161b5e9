/**
 * OpenAI client → Azure OpenAI backend. The body is OpenAI's, unchanged (Azure ignores `model`: the
 * deployment in the path decides); what differs is the path — `/openai/deployments/{deployment}/…` with the
 * `api-version` query Azure requires — and the credential, sent as `api-key` instead of a Bearer token.
 */
import type { Result } from '../core/errors.js';
import { aigwError } from '../core/errors.js';
import { AZURE_API_VERSION_RE, AZURE_DEPLOYMENT_RE } from '../openai/azure-names.js';

/** The GA api-version used when a backend names none (Azure has no default: a request without one is a 404). */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';
/**
 * The first api-version that takes `stream_options` (2024-09-01-preview; GA in 2024-10-21): before it Azure refuses the
 * field (400 "Unrecognized request argument supplied: stream_options"), so a stream asked for its usage failed at once
 * on every earlier version a profile may name (2024-02-01 and 2024-06-01 are still served).
 */
const STREAM_OPTIONS_SINCE = '2024-09-01';

/** Whether a stream may ask this backend for its usage (`stream_options.include_usage`): Azure's older api-versions refuse it. */
export function takesStreamOptions(backend: { kind: string; apiVersion?: string | undefined }): boolean {
  // YYYY-MM-DD[-preview] compares as text: a preview of the day sorts after the day itself.
  return backend.kind !== 'azure-openai' || (backend.apiVersion ?? DEFAULT_AZURE_API_VERSION) >= STREAM_OPTIONS_SINCE;
}

/**
 * Whether a translated request's output limit goes as `max_completion_tokens` rather than `max_tokens`: Azure refuses
 * `max_tokens` for its reasoning deployments (o1, o3, o4-mini, gpt-5: 400 "Unsupported parameter: 'max_tokens' is not
 * supported with this model. Use 'max_completion_tokens' instead."), and every Azure chat model takes
 * `max_completion_tokens` from the api-version that added it (2024-09-01-preview, as stream_options) — before it, the
 * field is unknown there. OpenAI's own API likewise (its reasoning models refuse `max_tokens`, every chat model takes
 * `max_completion_tokens`); any other `openai` backend may be a server that knows `max_tokens` alone (vLLM before 0.6).
 */
export function takesMaxCompletionTokens(backend: { kind: string; apiVersion?: string | undefined; host: string }): boolean {
  if (backend.kind === 'openai') return backend.host === OPENAI_API_HOST || backend.host.endsWith(`.${OPENAI_API_HOST}`);
  return backend.kind === 'azure-openai' && (backend.apiVersion ?? DEFAULT_AZURE_API_VERSION) >= STREAM_OPTIONS_SINCE;
}

/**
 * OpenAI's own API, as a backend's URL names it — and its data-residency hosts under it (`eu.api.openai.com`,
 * `us.`, `ae.`, `au.`, `in.`: openai-node's `dataResidency`), the same API: sent `max_tokens`, a project kept in the EU
 * had every request to a reasoning model refused 400 as before.
 */
const OPENAI_API_HOST = 'api.openai.com';

export type AzureEndpoint = 'chat' | 'completions' | 'embeddings';

const SUFFIX: Readonly<Record<AzureEndpoint, string>> = {
  chat: 'chat/completions',
  completions: 'completions',
  embeddings: 'embeddings',
};

/**
 * The upstream path for an endpoint. `deployment` is the backend's `deployment`, or else the target's
 * upstream model name (as Envoy AI Gateway does). Both come from the profile, never from a client; they are
 * checked anyway, so no value can climb out of `/openai/deployments/`.
 */
export function azurePath(endpoint: AzureEndpoint, deployment: string, apiVersion = DEFAULT_AZURE_API_VERSION): Result<string> {
  if (!AZURE_DEPLOYMENT_RE.test(deployment)) {
    return {
      ok: false,
      error: aigwError('internal_error', `azure deployment ${JSON.stringify(deployment.slice(0, 64))} is not a valid name`),
    };
  }
  if (!AZURE_API_VERSION_RE.test(apiVersion)) {
    return {
      ok: false,
      error: aigwError('internal_error', `azure apiVersion ${JSON.stringify(apiVersion.slice(0, 32))} is not YYYY-MM-DD[-preview]`),
    };
  }
  return { ok: true, value: `/openai/deployments/${deployment}/${SUFFIX[endpoint]}?api-version=${apiVersion}` };
}

/** The credential header of an Azure backend (its `apiKey`). */
export function azureAuthHeader(apiKey: string): { 'api-key': string } {
  return { 'api-key': apiKey };
}
