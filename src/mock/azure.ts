/**
 * The Azure OpenAI mock: `/openai/deployments/{deployment}/chat/completions`, `/completions` and
 * `/embeddings` with the `api-version` query and the `api-key` header, refusing as Azure does. Behind the
 * checks it is the vLLM mock (text, controls, faults, stats) and the TEI mock (embeddings) in Azure's shape;
 * the mock's `models` are its deployments, and an answer names its deployment as the model.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenCounter } from '../openai/tokens.js';
import { azureErrorJson, azureFraming, azureRefusal } from './azure-shapes.js';
import type { MockContext } from './context.js';
import { bearer, header, keyAccepted } from './credentials.js';
import { sendJson } from './http.js';
import { type EmbeddingRefusal, handleEmbeddings } from './tei.js';
import { handleCompletion, type OffStreamOptions } from './vllm.js';

/**
 * The first api-version that takes `stream_options` (2024-09-01-preview; GA in 2024-10-21): Azure refuses the field on
 * an earlier one, streaming or not. Versions compare as text: `2024-08-01-preview` < this < `2024-09-01-preview`.
 */
const STREAM_OPTIONS_SINCE = '2024-09-01';

/** OpenAI's API, and Azure's, refuse any `stream_options` (even `{}`) on a request that does not stream. */
const openAIOffStreamOptions: OffStreamOptions = (so) =>
  so === undefined || so === null ? undefined : "The 'stream_options' parameter is only allowed when 'stream' is enabled.";

/** The inference api-versions Azure OpenAI has served (GA and preview); any other is refused. */
export const AZURE_API_VERSIONS: ReadonlySet<string> = new Set([
  '2022-12-01',
  '2023-05-15',
  '2024-02-01',
  '2024-06-01',
  '2024-10-21',
  '2023-03-15-preview',
  '2023-06-01-preview',
  '2023-07-01-preview',
  '2023-08-01-preview',
  '2023-09-01-preview',
  '2023-12-01-preview',
  '2024-02-15-preview',
  '2024-03-01-preview',
  '2024-04-01-preview',
  '2024-05-01-preview',
  '2024-07-01-preview',
  '2024-08-01-preview',
  '2024-09-01-preview',
  '2024-10-01-preview',
  '2024-12-01-preview',
  '2025-01-01-preview',
  '2025-02-01-preview',
  '2025-03-01-preview',
  '2025-04-01-preview',
]);

const PATH = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings)$/;

const ACCESS_DENIED =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an ' +
  'active subscription and use a correct regional API endpoint for your resource.';

export function isAzurePath(path: string): boolean {
  return PATH.test(path);
}

/**
 * How /mock/stats counts an Azure path: as it is for a deployment the profile lists (spelled as listed),
 * otherwise under `/openai/deployments/{deployment}/…`, so clients' deployment names add no keys.
 */
export function azureStatsPath(path: string, ctx: MockContext): string {
  const m = PATH.exec(path);
  if (!m) return path;
  return ctx.config.models?.includes(m[1]!) ? path : `/openai/deployments/{deployment}/${m[2]}`;
}

/** TEI's refusals as Azure words them: a 400 for what TEI refuses 413 or 422 (Azure answers neither for a request's content). */
const azureEmbeddingRefusal: EmbeddingRefusal = (status, message, param) => {
  const s = status === 413 || status === 422 ? 400 : status;
  return [s, azureRefusal(s, message, param)];
};

export function azureNotFound(res: ServerResponse, ctx: MockContext): void {
  sendJson(res, 404, azureErrorJson('404', 'Resource not found'), ctx.identity);
}

export async function handleAzure(
  req: IncomingMessage,
  res: ServerResponse,
  json: unknown,
  ctx: MockContext,
  tokens: TokenCounter,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://mock');
  const m = PATH.exec(url.pathname);
  if (!m) return azureNotFound(res, ctx);
  const version = url.searchParams.get('api-version');
  // Azure routes on the api-version: without one, nothing is found.
  if (version === null) return azureNotFound(res, ctx);
  if (!keyAccepted(header(req.headers, 'api-key') ?? bearer(req.headers), ctx.config.apiKey)) {
    return sendJson(res, 401, azureErrorJson('401', ACCESS_DENIED), ctx.identity);
  }
  if (!AZURE_API_VERSIONS.has(version)) return sendJson(res, 400, azureErrorJson('BadRequest', 'API version not supported'), ctx.identity);
  let deployment: string;
  try {
    deployment = decodeURIComponent(m[1]!);
  } catch {
    return azureNotFound(res, ctx);
  }
  if (!ctx.serves(deployment)) {
    const message =
      'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.';
    return sendJson(res, 404, azureErrorJson('DeploymentNotFound', message), ctx.identity);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    return sendJson(res, 400, azureErrorJson('BadRequest', 'The request body must be a JSON object.'), ctx.identity);
  }
  // Azure ignores the body's model: the deployment decides, and answers name it.
  const body = { ...(json as Record<string, unknown>), model: deployment };
  // What the vLLM and TEI mocks behind these checks refuse is refused in Azure's words.
  // OpenAI's embedders take 8,192 tokens an input (TEI's 512 is a BERT-sized model's).
  if (m[2] === 'embeddings') return handleEmbeddings(res, body, ctx, tokens, azureEmbeddingRefusal, 8192);
  if ((json as Record<string, unknown>).stream_options !== undefined && version < STREAM_OPTIONS_SINCE) {
    return sendJson(res, 400, azureRefusal(400, 'Unrecognized request argument supplied: stream_options', null), ctx.identity);
  }
  const endpoint = m[2] === 'chat/completions' ? 'chat' : 'completions';
  return handleCompletion(endpoint, req, res, body, ctx, azureFraming, azureRefusal, openAIOffStreamOptions);
}
