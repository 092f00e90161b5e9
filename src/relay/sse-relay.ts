/**
 * Streams, event by event: each complete upstream event goes to the client as its own write, the moment
 * it is complete — no coalescing, comments (`: ping`) included, bytes untouched. We only look: usage,
 * [DONE], output events. The usage-only chunk that aigw itself asked for is held back from a client that
 * did not ask for it. An event is held only until it is complete, and at most `maxEventBytes`: a larger one
 * ends the stream (the caller cuts it) instead of growing memory without bound.
 */
import type { AigwError } from '../core/errors.js';
import { renderStreamErrorFrame } from '../openai/error-shape.js';
import { SseDecoder, type SseEvent, type SseSink } from '../openai/sse.js';
import { modelIn, noteEvent } from './answer-facts.js';
import type { Downstream } from './downstream.js';
import type { StreamRelay } from './stream-relay.js';
import { type Usage, usageIn } from './usage-tap.js';

export class SseRelay implements SseSink, StreamRelay {
  private readonly decoder = new SseDecoder();
  private chunk: Buffer = Buffer.alloc(0);
  private sliceStart = 0;
  private held: Buffer[] = [];
  private heldBytes = 0;
  sawDone = false;
  outputEvents = 0;
  usage: Usage | undefined;
  failed: AigwError | undefined;
  model: string | undefined;
  /** The answer's model is read from its first event with data. */
  private modelPending = true;

  constructor(
    protected readonly out: Downstream,
    private readonly dropUsageChunk: boolean,
    protected readonly onFirstEvent: () => void,
    private readonly maxEventBytes: number,
  ) {}

  /** Relays what `chunk` completes; false when the event it leaves incomplete is over maxEventBytes. */
  push(chunk: Buffer): boolean {
    this.chunk = chunk;
    this.sliceStart = 0;
    this.decoder.push(chunk, this);
    if (this.sliceStart < chunk.length) {
      const rest = this.sliceStart === 0 ? chunk : chunk.subarray(this.sliceStart);
      this.held.push(rest);
      this.heldBytes += rest.length;
      if (this.heldBytes > this.maxEventBytes) return false;
    }
    return true;
  }

  onEvent(ev: SseEvent, end: number): void {
    const piece = this.chunk.subarray(this.sliceStart, end);
    this.sliceStart = end;
    let bytes = piece;
    if (this.held.length) {
      this.held.push(piece);
      bytes = Buffer.concat(this.held, this.heldBytes + piece.length);
      this.held = [];
      this.heldBytes = 0;
    }
    if (this.look(ev)) this.out.write(bytes);
  }

  /** Reads what accounting needs off one event on its way; false when the client must not get it. */
  protected look(ev: SseEvent): boolean {
    const data = ev.data;
    if (data !== undefined) {
      if (data === '[DONE]') this.sawDone = true;
      else if (this.lookAt(data)) {
        const u = usageIn(data);
        if (u) this.usage = u;
        if (data.includes('"choices":[]')) {
          if (this.dropUsageChunk) return false;
        } else this.outputEvents++;
      } else {
        if (this.outputEvents === 0) this.onFirstEvent();
        this.outputEvents++;
      }
    }
    return true;
  }

  /** Reads the answer's model (first event) and, for a recording trace, its notes; true when the event holds usage. */
  private lookAt(data: string): boolean {
    if (this.modelPending) {
      this.modelPending = false;
      this.model = modelIn(data);
      this.out.record.responseModel = this.model;
    }
    if (this.out.record.answerNotes !== undefined) noteEvent(this.out.record.answerNotes, data);
    return data.includes('"usage"');
  }

  errorFrame(err: AigwError): string {
    return renderStreamErrorFrame(err);
  }

  /**
   * Bytes left over when the upstream ended (an unterminated last event, or a line ending split from its
   * event), sent as they came. With `closeEvent`, an unterminated event is closed with a blank line, so that
   * what the caller writes next (an error frame) is an event of its own.
   */
  flushHeld(closeEvent: boolean): void {
    if (!this.held.length) return;
    const rest = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.out.write(rest);
    if (closeEvent && rest.toString('latin1').trim() !== '') this.out.write('\n\n');
    this.held = [];
    this.heldBytes = 0;
  }

  get holding(): boolean {
    return this.held.length > 0;
  }

  /** Drops an event that grew too large (its bytes never reach the client: it is cut whole). */
  dropHeld(): void {
    this.held = [];
    this.heldBytes = 0;
  }
}
