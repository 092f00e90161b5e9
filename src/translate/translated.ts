/** What a request or a non-streamed answer becomes once translated: the body for the other side, and what accounting needs. */
import type { AigwError, Result } from '../core/errors.js';
import type { TokenUsage } from './mapping.js';

export interface TranslatedRequest<T> {
  /** The upstream body, serialized. */
  body: string;
  stream: boolean;
  /** What the answer's translation needs to know about the client's request. */
  request: T;
}

export interface TranslatedAnswer {
  /** The client's body, serialized. */
  body: string;
  /** What the backend reported, for accounting; undefined when it sent no usage. */
  usage: TokenUsage | undefined;
  /** The model that answered (the backend's name for it). */
  model: string;
}

/**
 * A whole answer refused for what the model wrote in it — a tool call's arguments that are not a JSON object, or that
 * nest too deeply to serialize — not for its form. A client's prompt can choose that content ("call f with the
 * arguments [1]"), so it is the answer to that request: the backend did its work and is not at fault, and another
 * target would only be made to write it again (relay/exchange.ts fails the attempt without failover, and the attempt
 * loop counts it as the backend's success).
 */
export interface WrittenRefusal {
  ok: false;
  error: AigwError;
  written: true;
}

/** A non-streamed answer's translation: the client's body, or why not (a refusal of its form, or of what was written). */
export type AnswerResult<T = TranslatedAnswer> = Result<T> | WrittenRefusal;

/** The refusal of an answer for what the model wrote in it. */
export function refusedWritten(error: AigwError): WrittenRefusal {
  return { ok: false, error, written: true };
}
