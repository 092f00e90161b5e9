/** What a request or a non-streamed answer becomes once translated: the body for the other side, and what accounting needs. */
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
