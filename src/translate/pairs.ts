/**
 * Which translator serves a (client API, backend kind) pair — the narrow entry point the gateway calls.
 * Undefined means both sides speak the same API and the bytes pass through (Azure speaks OpenAI's body;
 * only its path and credential differ, see openai-azure.ts).
 */
import type { Result } from '../core/errors.js';
import type { Scrub } from '../core/scrub.js';
import { messagesToChat } from './anthropic-openai.js';
import { chatToMessage } from './anthropic-openai-response.js';
import { ChatToMessagesStream } from './anthropic-openai-stream.js';
import { chatToMessages } from './openai-anthropic.js';
import { messageToChat } from './openai-anthropic-response.js';
import { MessagesToChatStream } from './openai-anthropic-stream.js';
import type { StreamTranslator } from './stream.js';
import type { AnswerResult } from './translated.js';

export type ClientApi = 'openai' | 'anthropic';
export type BackendKind = 'openai' | 'anthropic' | 'azure-openai';

/** A client request translated for the backend, with the translations of its answer bound to it. */
export interface PreparedRequest {
  /** The upstream body. */
  body: string;
  stream: boolean;
  /** The API the upstream path belongs to: `/v1/chat/completions` (or Azure's) or `/v1/messages`. */
  upstreamApi: ClientApi;
  /**
   * The most output the body sent lets the backend generate, when the translation chose it and the client's request does
   * not say it: the max_tokens an OpenAI request is sent to an Anthropic backend with (its max_completion_tokens, or the
   * default, where the request may name no max_tokens).
   */
  outputLimit?: number;
  /**
   * The backend's non-streamed answer (parsed JSON) → the client's body. `scrub` removes configured secrets from the
   * backend's text a refusal quotes, before it is cut to length; `text` is the JSON text the answer was parsed from.
   */
  answer(json: unknown, scrub?: Scrub, text?: string): AnswerResult;
  /**
   * A fresh translator for the backend's stream; `scrub` removes configured secrets from a backend's error text,
   * `maxHeld` bounds what it holds of one piece of the answer (limits.maxEventBytes).
   */
  streamTranslator(scrub: Scrub, maxHeld: number): StreamTranslator;
}

/** What the relay keeps of a translation once the body is sent: the answer's side only (a body can be megabytes). */
export type AnswerTranslation = Omit<PreparedRequest, 'body'>;

/**
 * `json`: the client's parsed body; `model`: the target's upstream name; `now`: ms since the epoch; `streamUsage`: a
 * stream may ask the backend for its usage (not Azure's older api-versions, openai-azure.ts takesStreamOptions); `text`:
 * the JSON text `json` was parsed from, when the translation may repeat a part of it as the client wrote it;
 * `completionTokens`: the output limit goes to an OpenAI backend as `max_completion_tokens` (openai-azure.ts).
 */
export type Translate = (
  json: unknown,
  model: string,
  now: number,
  streamUsage?: boolean,
  text?: string,
  completionTokens?: boolean,
) => Result<PreparedRequest>;

export function translatorFor(client: ClientApi, backend: BackendKind): Translate | undefined {
  const backendApi: ClientApi = backend === 'anthropic' ? 'anthropic' : 'openai';
  if (client === backendApi) return undefined;
  return client === 'anthropic' ? anthropicToOpenAI : openAIToAnthropic;
}

const anthropicToOpenAI: Translate = (json, model, _now, streamUsage = true, text, completionTokens = false) => {
  const r = messagesToChat(json, model, streamUsage, text, completionTokens);
  if (!r.ok) return r;
  return {
    ok: true,
    value: {
      body: r.value.body,
      stream: r.value.stream,
      upstreamApi: 'openai',
      answer: chatToMessage,
      streamTranslator: (scrub, maxHeld) => new ChatToMessagesStream(model, scrub, maxHeld),
    },
  };
};

const openAIToAnthropic: Translate = (json, model, now) => {
  const r = chatToMessages(json, { model });
  if (!r.ok) return r;
  const created = Math.floor(now / 1000);
  const { includeUsage, stops } = r.value.request;
  return {
    ok: true,
    value: {
      body: r.value.body,
      stream: r.value.stream,
      upstreamApi: 'anthropic',
      outputLimit: r.value.request.maxTokens,
      answer: (answer, _scrub, text) => messageToChat(answer, created, text, stops),
      streamTranslator: (scrub, maxHeld) => new MessagesToChatStream({ requestModel: model, includeUsage, created, maxHeld, stops }, scrub),
    },
  };
};
