/**
 * The admin event stream cut into events, each held up to a bound. An event past it (a 1.5 MB model name a
 * client sent, kept in the gateway's replayed history) is skipped in place: read to its end without being
 * kept, its `id:` line still taken, so the stream goes on with the next event and a resume starts after it.
 * Dropping the stream instead had the gateway replay the same event on every reconnect, and no later event
 * ever arrived.
 */
import { HeldBytes } from '../core/held-bytes.js';
import { SseDecoder, type SseEvent } from '../openai/sse.js';

const LF = 0x0a;
const CR = 0x0d;
/** An `id:` line longer than this is not an event id the TUI can use (ids are decimal integers). */
const MAX_ID_LINE = 40;
/** How much of a chunk is decoded before the size of the event in progress is checked. */
const PIECE = 64 * 1024;

export interface FrameSink {
  event(ev: SseEvent): void;
  /** An event over the bound went by unread; `id` is its id field, when it had one. */
  skipped(id: string | undefined): void;
}

/**
 * Finds where an event ends (a blank line after at least one non-blank one, as SseDecoder dispatches) and its
 * id, holding only the start of the current line: the event's bytes pass through and are forgotten.
 */
class Skipper {
  id: string | undefined;
  /** Bytes read since the skipped event began. */
  bytes = 0;
  private lineLen = 0;
  private readonly head = Buffer.alloc(MAX_ID_LINE);
  private afterCR = false;
  private nonBlank = false;

  /** The offset just past the event's blank line, or -1 when `chunk` did not end it. */
  scan(chunk: Buffer): number {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.afterCR) {
        this.afterCR = false;
        if (b === LF) continue;
      }
      if (b !== LF && b !== CR) {
        if (this.lineLen < MAX_ID_LINE) this.head[this.lineLen] = b;
        this.lineLen++;
        continue;
      }
      this.afterCR = b === CR;
      if (this.lineLen === 0 || this.bomOnly()) {
        this.lineLen = 0;
        if (!this.nonBlank) continue;
        this.bytes += i + 1;
        return i + 1;
      }
      this.nonBlank = true;
      if (this.lineLen <= MAX_ID_LINE) this.takeId(this.head.toString('utf8', 0, this.lineLen));
      this.lineLen = 0;
    }
    this.bytes += chunk.length;
    return -1;
  }

  /**
   * The line is a byte-order mark alone: blank, as SseDecoder reads it (it drops a leading U+FEFF, as the SDKs do).
   * Read as text, a block of them ended "the event" where the decoder saw none: past the hold's bound each 5-byte
   * block was counted as an event skipped and the whole hold decoded again after it — a quadratic loop that held
   * the event loop (q, Ctrl-C) for minutes on a listener's trickle of them.
   */
  private bomOnly(): boolean {
    return this.lineLen === 3 && this.head[0] === 0xef && this.head[1] === 0xbb && this.head[2] === 0xbf;
  }

  private takeId(raw: string): void {
    const line = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (line === 'id') this.id = '';
    else if (line.startsWith('id:')) this.id = line.charCodeAt(3) === 0x20 ? line.slice(4) : line.slice(3);
  }
}

export class BoundedEventReader {
  private decoder = new SseDecoder();
  /**
   * The bytes of the event in progress, from its first (at most `max` plus one chunk), in a bounded number of pieces
   * (core/held-bytes.ts): kept as a view a read, a listener that sent an event a byte a read (chunked encoding, or a
   * proxy that re-chunks) had the TUI hold ~100 bytes of view per byte — ~100 MB for an event under the 1 MiB bound.
   */
  private readonly held = new HeldBytes();
  private skipper: Skipper | undefined;

  /**
   * `max`: the largest event read; `maxSkip`: the most bytes skipped without the event ending (past it the
   * stream is no event stream and `push` says to drop it).
   */
  constructor(
    private readonly max: number,
    private readonly maxSkip: number,
    private readonly sink: FrameSink,
  ) {}

  /** The id of the event being skipped, when its `id:` line was read (for a resume after a drop). */
  get skippingId(): string | undefined {
    return this.skipper?.id;
  }

  /** false: `maxSkip` bytes went by without the skipped event ending; the caller drops the stream. */
  push(chunk: Buffer): boolean {
    // In pieces: a chunk larger than `max` would otherwise reach the decoder whole, its events with it.
    for (let i = 0; i < chunk.length; i += PIECE) if (!this.pushPiece(chunk.subarray(i, i + PIECE))) return false;
    return true;
  }

  private pushPiece(piece: Buffer): boolean {
    let rest = piece;
    while (rest.length > 0) {
      if (this.skipper) {
        const end = this.skipper.scan(rest);
        if (end < 0) return this.skipper.bytes <= this.maxSkip;
        this.sink.skipped(this.skipper.id);
        this.skipper = undefined;
        this.decoder = new SseDecoder();
        rest = rest.subarray(end);
        continue;
      }
      let start = 0;
      this.decoder.push(rest, {
        onEvent: (ev, end) => {
          start = end;
          this.sink.event(ev);
        },
      });
      if (start > 0) this.held.clear();
      if (start < rest.length) this.held.push(rest.subarray(start));
      if (this.held.bytes <= this.max) return true;
      // Too large to hold: read the event again from its first byte, for its id and its end, keeping none of it.
      this.skipper = new Skipper();
      rest = this.held.take();
    }
    return true;
  }
}
