/**
 * A stream whose client speaks the other API: each upstream event, the moment it is complete, goes through the
 * pair's stream translator (translate/stream.ts) and what a read's events make is written at once, as one write —
 * nothing is held but the bytes of the one event still arriving (bounded by maxEventBytes). Accounting reads the translator:
 * usage, the first content (TTFT), the answering model, and whether the answer ended properly.
 */
import type { AigwError } from '../core/errors.js';
import type { Scrub } from '../core/scrub.js';
import { SseDecoder, type SseEvent, type SseSink } from '../openai/sse.js';
import type { StreamTranslator } from '../translate/stream.js';
import type { Downstream } from './downstream.js';
import type { StreamRelay } from './stream-relay.js';
import { impliedStatus } from './upstream-error.js';
import { type Usage, usageOfTokens } from './usage-tap.js';

const NOOP = (): void => {};
export class TranslatedSseRelay implements SseSink, StreamRelay {
  private readonly decoder = new SseDecoder();
  /** Bytes received since the last complete event. */
  private pending = 0;
  private lastEnd = -1;
  private firstContent = false;
  outputEvents = 0;
  failed: AigwError | undefined;
  failedStatus: number | undefined;
  /** While held (hold): the data of the backend's error event that ended the stream, if one did. */
  failedData: string | undefined;
  /** What the events make for the client, held (hold) until its head is written; undefined: written as made. */
  private held: string | undefined;
  /**
   * While a read is pushed: what its events make, written once at its end. A write an event, node:http queues four
   * socket writes for each once the client's socket is full: a read of 3-byte comments (each relayed as one) held
   * ~6 MB per stream for a client that stopped reading.
   */
  private gathered: string | undefined;

  constructor(
    private readonly out: Downstream,
    private readonly t: StreamTranslator,
    /** Called once, then let go of (a stream lasts minutes). */
    private onFirstContent: () => void,
    private readonly maxEventBytes: number,
    /** Removes configured secrets from what a backend's error puts into the client's error frame. */
    private readonly scrub: Scrub,
  ) {}

  push(chunk: Buffer): boolean {
    this.lastEnd = -1;
    const gathering = this.held === undefined;
    if (gathering) this.gathered = '';
    this.decoder.push(chunk, this);
    if (gathering) {
      const frames = this.gathered;
      this.gathered = undefined;
      if (frames) this.out.write(frames);
    }
    this.pending = this.lastEnd < 0 ? this.pending + chunk.length : chunk.length - this.lastEnd;
    return this.pending <= this.maxEventBytes;
  }

  onEvent(ev: SseEvent, end: number): void {
    this.lastEnd = end;
    const t = this.t;
    if (this.failed || t.completed) return;
    if (ev.data !== undefined) this.outputEvents++;
    const frames = t.push(ev);
    if (!this.firstContent && t.contentStarted) {
      this.firstContent = true;
      const first = this.onFirstContent;
      this.onFirstContent = NOOP;
      first();
    }
    if (t.error && !this.failed) {
      this.failed = t.error;
      // The backend's own error event says whose fault the cut was, as one passed through does (SseRelay): without it a
      // backend that broke every translated stream with an api_error after its first words was never ejected. A
      // translation's refusal (an event it cannot read, arguments that are not a JSON object) is not judged.
      if (t.backendError) {
        this.failedStatus = impliedStatus(ev.data ?? '', 'application/json');
        if (this.held !== undefined) this.failedData = ev.data ?? '';
      } else if (t.backendGaveUp) {
        // A server fault, as the same answer not streamed is (a bad response, counted): read as the translation's
        // refusal, a backend whose engine aborted every translated stream mid-answer was never ejected.
        this.failedStatus = 500;
      }
    }
    if (frames !== undefined) this.write(this.failed ? this.scrub(frames) : frames);
  }

  /**
   * What the next pushes make for the client is held until release(): the exchange translates a stream's first read
   * before the client's head is written, so that an answer refused before it began can still fail over.
   */
  hold(): void {
    this.held = '';
  }

  /** The client's head is written: what was held goes out, and what comes next goes as it is made. */
  release(): void {
    const held = this.held;
    this.held = undefined;
    if (held) this.out.write(held);
  }

  /** The answer's content began: the client has been told something of it (or would be, when released). */
  get began(): boolean {
    return this.t.contentStarted;
  }

  private write(frames: string): void {
    if (this.held !== undefined) this.held += frames;
    else if (this.gathered !== undefined) this.gathered += frames;
    else this.out.write(frames);
  }

  get sawDone(): boolean {
    return this.t.completed;
  }

  get endedEarly(): boolean {
    return this.t.endedEarly === true;
  }

  get outputEstimate(): number {
    return this.t.outputEstimate ?? this.outputEvents;
  }

  get holding(): boolean {
    return this.pending > 0;
  }

  get usage(): Usage | undefined {
    const u = this.t.usage;
    if (!u) return undefined;
    return usageOfTokens(u, this.t.outputProvisional === true);
  }

  get model(): string | undefined {
    return this.t.model;
  }

  /**
   * The upstream ended: the translator closes the answer or says it was cut. An event the backend never ended
   * (no blank line) is not read on a cut: an unterminated `message_stop` or `[DONE]` would complete the answer.
   */
  flushHeld(cut: boolean): void {
    if (this.pending > 0 && !cut) this.decoder.end(this);
    this.pending = 0;
    if (this.failed) return;
    const frames = this.t.end();
    if (frames !== undefined) this.write(frames);
    if (this.t.error) this.failed = this.t.error;
  }

  dropHeld(): void {
    this.pending = 0;
  }

  errorFrame(err: AigwError): string {
    return this.t.fail(err) ?? '';
  }
}
