/**
 * What the exchange drives for a 2xx stream, whichever APIs the two sides speak: `SseRelay` (OpenAI's bytes,
 * passed through), `AnthropicSseRelay` (Anthropic's bytes, passed through) and `TranslatedSseRelay` (each
 * upstream event translated into the client's API). Each reads what accounting needs as events pass.
 */
import type { AigwError } from '../core/errors.js';
import type { Usage } from './usage-tap.js';

export interface StreamRelay {
  /** Relays what `chunk` completes; false when the event it leaves incomplete is over maxEventBytes. */
  push(chunk: Buffer): boolean;
  /** The stream's end was seen: `[DONE]`, `message_stop`, or (translated) an answer the backend finished. */
  readonly sawDone: boolean;
  /**
   * The translation ended the answer before the backend did (a stop sequence it applies: translate/local-stop.ts): what
   * the backend sends after is not the client's, so the client's stream ends at once rather than after the grace.
   */
  readonly endedEarly?: boolean;
  /** Upstream events that carried output: zero means the client saw nothing. */
  readonly outputEvents: number;
  /** Output tokens those events carried, at least: the count of an answer that ended without its final usage. */
  readonly outputEstimate: number;
  /** Bytes of an event that has not ended yet are held. */
  readonly holding: boolean;
  /** The stream ended with an error the backend sent (or an event that could not be read); the client already has its frame. */
  readonly failed: AigwError | undefined;
  /**
   * The status the backend's own error event means (upstream-error.ts impliedStatus, as for a 2xx whose body is an
   * error): whether the cut was the backend's failure or the request's. Undefined when the stream failed otherwise
   * (a translation's refusal of what the model wrote).
   */
  readonly failedStatus?: number | undefined;
  readonly usage: Usage | undefined;
  /** The model the backend's stream names, once it did. */
  readonly model: string | undefined;
  /**
   * The upstream ended: what is still held or due goes out (a translated stream gets its closing frames);
   * `cut`: the stream ended without its end marker and an error frame follows, so no unterminated event goes.
   */
  flushHeld(cut: boolean): void;
  /** Drops an event that grew too large (its bytes never reach the client: it is cut whole). */
  dropHeld(): void;
  /** The client's final frame for a stream that broke; empty when the client already has one. */
  errorFrame(err: AigwError): string;
}
