/**
 * A stream's first event, read from its first bytes before the client's head is written. A backend may answer 200
 * and then say in its first event that it failed: vLLM's engine failing at its first step (`data: {"error": …}`), a
 * provider's `overloaded_error` before its `message_start`. Nothing has reached the client then, so the attempt can
 * fail as an error answer does and another target may answer — once the head is written, the client has a stream
 * and the error can only end it. Anthropic sends `message_start` at once and its `overloaded_error` often after it:
 * events that say nothing of the answer yet (a dialect's preamble) are read past, within the same bytes.
 */
import { SseDecoder, type SseEvent, type SseSink } from '../openai/sse.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Where a stream's first event ends, read as its first bytes grow: the index after the blank line that ends it. Each
 * call is given every byte so far (what the last call saw, then more) and reads only the new ones, so a first event
 * trickled a byte a read costs its length, not its length squared. Blank lines before it dispatch nothing and are
 * skipped; a lone CR, an LF and a CRLF each end a line, as SSE reads them.
 */
export class FirstEventEnd {
  /** Where the event being looked for starts: 0, or the end of the preamble read past (next). */
  start = 0;
  private at = 0;
  private lineStart = true;
  private fields = false;
  private afterCR = false;

  /** The index after the first event's blank line in `b`, or -1 when it has not ended yet. */
  in(b: Buffer): number {
    for (let i = this.at; i < b.length; i++) {
      const c = b[i];
      if (c === LF && this.afterCR) {
        this.afterCR = false;
        continue;
      }
      this.afterCR = c === CR;
      if (c !== LF && c !== CR) {
        this.lineStart = false;
        this.fields = true;
        continue;
      }
      if (this.lineStart && this.fields) return c === CR && b[i + 1] === LF ? i + 2 : i + 1;
      this.lineStart = true;
    }
    this.at = b.length;
    return -1;
  }

  /** Whether the event looked for has begun: a byte of it read that is not a line end (blank lines begin none). */
  get begun(): boolean {
    return this.fields;
  }

  /** Looks for the end of the event after the one that ended at `end`. */
  next(end: number): void {
    this.start = this.at = end;
    this.lineStart = true;
    this.fields = false;
    this.afterCR = false;
  }
}

class FirstOnly implements SseSink {
  ev: SseEvent | undefined;
  onEvent(ev: SseEvent): void {
    this.ev ??= ev;
  }
}

/** A leading event that says nothing of the answer yet: the next one is looked at. */
export const PREAMBLE = Symbol('preamble');

/**
 * What a stream's leading event says: the backend's error (its data), a preamble (PREAMBLE), or neither (undefined:
 * the answer begins). `event` is the event's bytes, up to the blank line that ends it (FirstEventEnd): only they are
 * decoded. `isError` reads it as the backend's API does (the relay's own rule); `isPreamble` is the dialect's.
 */
export function leadingEvent(
  event: Buffer,
  isError: (ev: SseEvent) => boolean,
  isPreamble?: (ev: SseEvent) => boolean,
): string | typeof PREAMBLE | undefined {
  const sink = new FirstOnly();
  new SseDecoder().push(event, sink);
  const ev = sink.ev;
  if (ev === undefined) return undefined;
  if (isError(ev)) return ev.data ?? '';
  return isPreamble?.(ev) ? PREAMBLE : undefined;
}
