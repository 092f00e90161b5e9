/** The bytes around a mock's generated text — what makes one answer vLLM's, Anthropic's or Azure's on the wire. */

export interface Framing {
  /** A non-streamed body: `before` + text + `after`. */
  body: { before: string; after: string };
  /** Stream events before the first text event (vLLM's role chunk; Anthropic's message_start, content_block_start, ping). */
  head: readonly string[];
  /** One text event: `before` + tokens + `after` (`lastAfter` on the final one). */
  chunk: { before: string; after: string; lastAfter: string };
  /** Stream events after the last text event (the usage chunk; Anthropic's content_block_stop and message_delta). */
  tail: readonly string[];
  /** The stream's end marker (`[DONE]`, `message_stop`), left out with the no-done quirk. */
  done: string;
  /** What the ping quirk writes after every event. */
  ping: string;
  /** What the error-after:N fault writes before it ends the stream. */
  error: string;
}
