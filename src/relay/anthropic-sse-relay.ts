/**
 * An Anthropic stream from an Anthropic backend to an Anthropic client: the bytes pass through, event by event,
 * exactly as SseRelay passes OpenAI's; what is read off them is Anthropic's (translate/anthropic-tap.ts) — usage
 * from message_start and message_delta, the first content block for TTFT, `message_stop` as the end, and an
 * `error` event, which the client gets as the backend sent it and which ends the stream.
 */
import type { AigwError } from '../core/errors.js';
import { type Scrub, scrubJsonText } from '../core/scrub.js';
import { renderAnthropicStreamError } from '../anthropic/error-shape.js';
import type { SseEvent } from '../openai/sse.js';
import { AnthropicStreamTap } from '../translate/anthropic-tap.js';
import type { TokenUsage } from '../translate/mapping.js';
import { SseRelay } from './sse-relay.js';
import { impliedStatus } from './upstream-error.js';
import { usageOfTokens } from './usage-tap.js';
import type { Downstream } from './downstream.js';

/** In place of a backend's error event whose secret cannot be cut out of it (core/scrub.ts, scrubJsonText). */
const UNREADABLE_ERROR = JSON.stringify({
  type: 'error',
  error: { type: 'api_error', message: "the backend's error event could not be passed on without a configured secret" },
});

export class AnthropicSseRelay extends SseRelay {
  private readonly tap: AnthropicStreamTap;
  private seenUsage: TokenUsage | undefined;
  private firstContent = false;

  constructor(
    out: Downstream,
    onFirstContent: () => void,
    maxEventBytes: number,
    /** Removes configured secrets from a backend's error event before the client gets it. */
    scrub: Scrub,
  ) {
    super(out, false, onFirstContent, maxEventBytes, scrub);
    this.tap = new AnthropicStreamTap(scrub);
  }

  override get outputEstimate(): number {
    return this.tap.deltaTokens;
  }

  protected override look(ev: SseEvent): boolean {
    // After message_stop the answer is over: what a backend sends after it is not counted, so it does not go either
    // (the translated path holds it back too).
    if (this.sawDone) return false;
    if (this.failed) return true;
    const tap = this.tap;
    tap.observe(ev);
    // Output is what content deltas carried (pings and the message's frame are not).
    this.outputEvents = tap.deltas;
    if (!this.firstContent && tap.contentStarted) {
      this.firstContent = true;
      this.firstEvent();
    }
    if (tap.usage !== this.seenUsage) {
      this.seenUsage = tap.usage;
      this.usage = usageOfTokens(tap.usage!, tap.outputProvisional);
    }
    this.model = tap.model;
    this.sawDone = tap.completed;
    if (!tap.error) return true;
    this.failed = tap.error;
    // Anthropic's error types (overloaded_error, api_error, invalid_request_error…) say whose fault it was.
    this.failedStatus = impliedStatus(ev.data ?? '', 'application/json');
    // The backend's own error event goes to the client as it came, but with configured secrets removed from what
    // the client's parser reads (an escape does not hide one). Each of its lines goes as a data line, so that the
    // client reads exactly the text scrubbed (after one `data: `, a line starting `data: ` was another field to it).
    const data = scrubJsonText(ev.data ?? '', this.scrub, UNREADABLE_ERROR);
    this.send(`event: error\ndata: ${data.replaceAll('\n', '\ndata: ')}\n\n`);
    return false;
  }

  override errorFrame(err: AigwError): string {
    // After the backend's own error event, the client has its frame already.
    return this.tap.error ? '' : renderAnthropicStreamError(err);
  }
}
