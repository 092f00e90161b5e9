/**
 * What one attempt sends to one backend — path, body, and the translation of the answer — chosen by the
 * (client API, backend kind) pair. Same API on both sides: the client's bytes with `model` spliced (and, for
 * OpenAI streams, include_usage); Azure: the same body on Azure's deployment path; otherwise the request is
 * translated here and the answer is translated back by what this returns. A fallback to a backend of another
 * kind calls this again, so it translates again.
 */
import { aigwError, type Result } from '../core/errors.js';
import { ENDPOINT_PATHS, type Endpoint } from '../openai/endpoints.js';
import type { ProxyRequest } from '../openai/parse-request.js';
import { type BodyEdit, editedBody, upstreamBody } from '../openai/upstream-body.js';
import type { BackendRuntime } from '../upstream/backends.js';
import { azurePath, takesMaxCompletionTokens, takesStreamOptions } from './openai-azure.js';
import { type AnswerTranslation, translatorFor } from './pairs.js';
import { loopLosesItsThinking, thinkingOn, withoutUnsignedThinking } from './unsigned-thinking.js';

export interface ProviderRequest {
  /** The upstream path, with its query (Azure's api-version). */
  path: string;
  /** The upstream body: a translation's JSON text, or the client's bytes edited. */
  body: string | Buffer;
  /** aigw asked for include_usage on the client's behalf (OpenAI streams): the usage chunk is held back. */
  injectedUsage: boolean;
  /** Headers this API needs besides the backend's own (`anthropic-version`), as [name, value, …]; undefined when none. */
  headers: readonly string[] | undefined;
  /** The answer's translation, when the backend speaks the other API; undefined when the answer's bytes pass through. */
  translation: AnswerTranslation | undefined;
  /** See PreparedRequest.outputLimit: what bounds the backend's output count, beyond the client's request. */
  outputLimit?: number | undefined;
}

type Backend = Pick<BackendRuntime, 'name' | 'kind' | 'basePath' | 'host' | 'anthropicVersion' | 'deployment' | 'apiVersion'>;

/** The target's upstream model name, plain and as JSON. */
type Model = { readonly upstreamModel: string; readonly upstreamModelJson: string };

/**
 * The request for `backend`, or the 400 that says why this request cannot be sent to it (a field its API has
 * no equivalent for, an endpoint it does not serve). `now` dates a translated answer (ms since the epoch);
 * `clientVersion` is the client's own (validated) anthropic-version, which an Anthropic client's request
 * passed through keeps — its SDK knows which version's shapes it reads; what the gateway translates is
 * sent with the backend's `anthropicVersion`.
 */
export function providerRequest(
  p: ProxyRequest,
  backend: Backend,
  target: Model,
  now: number,
  clientVersion: string | undefined,
): Result<ProviderRequest> {
  const translate = translatorFor(p.api, backend.kind);
  if (translate) {
    if (p.endpoint !== 'chat' && p.endpoint !== 'messages') return unserved(p.endpoint, backend);
    const prepared = translate(
      p.json,
      target.upstreamModel,
      now,
      takesStreamOptions(backend),
      p.text || undefined,
      takesMaxCompletionTokens(backend),
    );
    if (!prepared.ok) return prepared;
    const toAnthropic = prepared.value.upstreamApi === 'anthropic';
    const path = pathFor(backend, toAnthropic ? 'messages' : 'chat', target.upstreamModel);
    if (!path.ok) return path;
    const headers = toAnthropic ? ['anthropic-version', backend.anthropicVersion] : undefined;
    const { body, outputLimit, ...translation } = prepared.value;
    return { ok: true, value: { path: path.value, body, injectedUsage: false, headers, translation, outputLimit } };
  }
  if (p.api === 'anthropic') {
    // Anthropic to Anthropic: the client's bytes, only `model` replaced — and the thinking blocks no signature stands for
    // left out (the gateway's own, from an OpenAI backend's reasoning), which Anthropic refuses (unsigned-thinking.ts).
    const edits: BodyEdit[] = [{ span: p.modelSpan, json: target.upstreamModelJson }];
    const messages = p.spans.get('messages');
    const replayed = messages && withoutUnsignedThinking(p.json.messages, p.text, messages);
    if (messages && replayed !== undefined) {
      edits.push({ span: messages, json: replayed });
      // A tool loop whose last turn's thinking was left out goes with thinking off, as Anthropic's refusal advises.
      const thinking = p.spans.get('thinking');
      if (thinking && thinkingOn(p.json.thinking) && loopLosesItsThinking(p.json.messages))
        edits.push({ span: thinking, json: '{"type":"disabled"}' });
    }
    const body = editedBody(p, edits);
    const headers = ['anthropic-version', clientVersion ?? backend.anthropicVersion];
    const path = backend.basePath + ENDPOINT_PATHS[p.endpoint];
    return { ok: true, value: { path, body, injectedUsage: false, headers, translation: undefined } };
  }
  const path = pathFor(backend, p.endpoint, target.upstreamModel);
  if (!path.ok) return path;
  const body = upstreamBody(p, target.upstreamModelJson, takesStreamOptions(backend));
  return {
    ok: true,
    value: { path: path.value, body: body.body, injectedUsage: body.injectedUsage, headers: undefined, translation: undefined },
  };
}

function pathFor(backend: Backend, endpoint: Endpoint, upstreamModel: string): Result<string> {
  if (backend.kind !== 'azure-openai') return { ok: true, value: backend.basePath + ENDPOINT_PATHS[endpoint] };
  if (endpoint !== 'chat' && endpoint !== 'completions' && endpoint !== 'embeddings') return unserved(endpoint, backend);
  const path = azurePath(endpoint, backend.deployment ?? upstreamModel, backend.apiVersion);
  return path.ok ? { ok: true, value: backend.basePath + path.value } : path;
}

function unserved(endpoint: Endpoint, backend: Backend): Result<never> {
  const api = backend.kind === 'anthropic' ? "Anthropic's Messages API" : "OpenAI's API";
  return {
    ok: false,
    error: aigwError(
      'invalid_request',
      `this model is served by backend ${backend.name}, which speaks ${api}: ${ENDPOINT_PATHS[endpoint]} cannot be translated for it`,
      { param: 'model' },
    ),
  };
}
