/**
 * What a relay does differently when the client and the backend do not both speak OpenAI's API: which stream
 * relay reads (or translates) the events, whether a non-streamed answer is translated whole, and where a
 * passing body's usage is. Undefined for OpenAI to OpenAI (Azure included): the relay's own path, unchanged.
 */
import type { Scrub } from '../core/scrub.js';
import type { ClientApi } from '../openai/endpoints.js';
import type { SseEvent } from '../openai/sse.js';
import { anthropicUsageIn, isAnthropicErrorEvent, isAnthropicPreamble } from '../translate/anthropic-tap.js';
import type { AnswerTranslation } from '../translate/pairs.js';
import type { AnswerResult } from '../translate/translated.js';
import { AnthropicSseRelay } from './anthropic-sse-relay.js';
import type { Downstream } from './downstream.js';
import type { StreamRelay } from './stream-relay.js';
import { isOpenAiErrorEvent } from './sse-relay.js';
import { TranslatedSseRelay } from './translated-sse-relay.js';
import { type Usage, usageOfTokens } from './usage-tap.js';

export interface RelayDialect {
  /** The relay of a 2xx stream; `scrub` removes configured secrets from a backend's error text. */
  streamRelay(out: Downstream, onFirstContent: () => void, maxEventBytes: number, scrub: Scrub): StreamRelay;
  /** A non-streamed answer translated whole (held, bounded); undefined when its bytes pass through. */
  readonly answer: ((json: unknown, scrub: Scrub, text: string) => AnswerResult) | undefined;
  /**
   * The usage of a non-streamed answer passing through, from its last bytes. When they hold none (usage left out, or
   * written first in a body longer than the tail window), the body is counted from its content off the event loop
   * (token-worker.ts), not parsed whole here.
   */
  bodyUsage(tail: string): Usage | undefined;
  /** Whether a stream's event is the backend's error, as the API the backend speaks reads it (relay/first-event.ts). */
  errorEvent(ev: SseEvent): boolean;
  /** Whether a stream's leading event says nothing of the answer yet, so an error after it may still fail over. */
  readonly preamble?: (ev: SseEvent) => boolean;
}

/** Anthropic to Anthropic: bytes pass; usage, the end and the first content are Anthropic's. */
const ANTHROPIC_PASSTHROUGH: RelayDialect = {
  streamRelay: (out, onFirstContent, maxEventBytes, scrub) => new AnthropicSseRelay(out, onFirstContent, maxEventBytes, scrub),
  answer: undefined,
  bodyUsage(tail) {
    const u = anthropicUsageIn(tail);
    return u && usageOfTokens(u, false);
  },
  errorEvent: isAnthropicErrorEvent,
  preamble: isAnthropicPreamble,
};

/** The dialect of one attempt: `translation` when the backend speaks the other API (translate/upstream-request.ts). */
export function relayDialect(client: ClientApi, translation: AnswerTranslation | undefined): RelayDialect | undefined {
  if (translation) {
    return {
      streamRelay: (out, onFirstContent, maxEventBytes, scrub) =>
        new TranslatedSseRelay(out, translation.streamTranslator(scrub, maxEventBytes), onFirstContent, maxEventBytes, scrub),
      answer: translation.answer,
      bodyUsage: () => undefined,
      // The backend speaks the API the client does not.
      errorEvent: client === 'anthropic' ? isOpenAiErrorEvent : isAnthropicErrorEvent,
      preamble: client === 'anthropic' ? undefined : isAnthropicPreamble,
    };
  }
  return client === 'anthropic' ? ANTHROPIC_PASSTHROUGH : undefined;
}
