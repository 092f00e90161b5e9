/**
 * Server-sent events framing, byte-exact and incremental: lines may end in LF, CRLF or CR, and a chunk may
 * end anywhere — inside a field, inside a CRLF, inside a multibyte character. Lines are only decoded as
 * UTF-8 once complete, so a character split across reads is never mangled.
 */
import { HeldBytes } from '../core/held-bytes.js';

export interface SseEvent {
  /** The `event:` field, when present. */
  event: string | undefined;
  /** The `data:` lines joined with `\n` (undefined when the event had no data line). */
  data: string | undefined;
  id: string | undefined;
  /**
   * Comment lines (`: ping`) of this block, without the colon — the first MAX_COMMENTS of them: what a reader asks
   * is whether there were any. A block of only comments has no data.
   */
  comments: string[];
}

export interface SseSink {
  /** Called for each complete event; `end` is the offset in the current chunk just past its blank line. */
  onEvent(event: SseEvent, end: number): void;
}

const LF = 0x0a;
const CR = 0x0d;
/** U+FEFF, a byte-order mark (see SseDecoder's `line`). */
const BOM = 0xfeff;
/** Comment lines an event keeps; more are read and dropped (2 bytes each, `:\n`, they cost a string each when kept). */
const MAX_COMMENTS = 8;
/** The first size of the buffer an event's second and later data lines are written into. */
const MIN_DATA_BUFFER = 1024;

export class SseDecoder {
  /** The line a read left incomplete (core/held-bytes.ts: a line sent a byte a read is not a view a byte). */
  private readonly partial = new HeldBytes();
  private skipLeadingLF = false;
  private current: SseEvent = blank();
  private hasFields = false;
  /**
   * The data of an event with more than one data line, as UTF-8 (`current.data` holds the first line's alone):
   * written into one buffer that doubles as it fills, decoded once at dispatch. Joined string by string, a
   * 16 MiB event of `data:x` lines held ~9× its bytes in cons strings while it arrived. The lines were decoded
   * one by one and are written back as UTF-8: decoded again whole, they read the same.
   */
  private dataBytes: Buffer | undefined;
  private dataLength = 0;

  /** The last chunk ended in a CR: an LF opening the next one ends that same line (CRLF split across reads). */
  get awaitsLF(): boolean {
    return this.skipLeadingLF;
  }

  push(chunk: Buffer, sink: SseSink): void {
    let start = 0;
    let i = 0;
    if (this.skipLeadingLF) {
      this.skipLeadingLF = false;
      if (chunk[0] === LF) start = i = 1;
    }
    const n = chunk.length;
    while (i < n) {
      const b = chunk[i]!;
      if (b !== LF && b !== CR) {
        i++;
        continue;
      }
      const lineEnd = i;
      i++;
      if (b === CR) {
        if (i < n) {
          if (chunk[i] === LF) i++;
        } else {
          this.skipLeadingLF = true;
        }
      }
      this.line(this.take(chunk, start, lineEnd), sink, i);
      start = i;
    }
    if (start < n) this.partial.push(chunk.subarray(start));
  }

  /** Flushes an unterminated final event (a stream that ended without a blank line). */
  end(sink: SseSink): void {
    if (this.partial.size) this.line(this.take(Buffer.alloc(0), 0, 0), sink, 0);
    if (this.hasFields) this.dispatch(sink, 0);
  }

  private take(chunk: Buffer, start: number, end: number): string {
    if (this.partial.size === 0) return chunk.toString('utf8', start, end);
    return this.partial.take(chunk.subarray(start, end)).toString('utf8');
  }

  private line(line: string, sink: SseSink, end: number): void {
    // openai-node and the Anthropic SDK decode each line on its own (a TextDecoder call without `stream`), which
    // drops a leading U+FEFF: `\uFEFFdata: …` is a data line to them, wherever it stands. Read as they read it (an
    // error event after one went through unscrubbed, the backend's key in the SDK's APIError).
    if (line.charCodeAt(0) === BOM) line = line.slice(1);
    if (line.length === 0) {
      // A comment-only block (`: ping`) is an event too, so a relay can forward it without delay.
      if (this.hasFields || this.current.comments.length) this.dispatch(sink, end);
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) {
      if (this.current.comments.length < MAX_COMMENTS) this.current.comments.push(line.slice(1).trimStart());
      return;
    }
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    this.hasFields = true;
    if (field === 'data') {
      if (this.current.data === undefined) this.current.data = value;
      else this.appendData(value);
    } else if (field === 'event') this.current.event = value;
    else if (field === 'id') this.current.id = value;
  }

  /** A second or later data line: after a line feed, into the data's buffer (the first line too, on the second). */
  private appendData(value: string): void {
    if (this.dataBytes === undefined) {
      const first = this.current.data!;
      this.dataBytes = Buffer.allocUnsafeSlow(Math.max(MIN_DATA_BUFFER, 2 * (3 * first.length + 1)));
      this.dataLength = this.dataBytes.write(first, 0, 'utf8');
    }
    // At most 3 bytes a UTF-16 unit, and the line feed.
    const most = this.dataLength + 1 + 3 * value.length;
    if (most > this.dataBytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(most, 2 * this.dataBytes.length));
      this.dataBytes.copy(grown, 0, 0, this.dataLength);
      this.dataBytes = grown;
    }
    this.dataBytes[this.dataLength++] = LF;
    this.dataLength += this.dataBytes.write(value, this.dataLength, 'utf8');
  }

  private dispatch(sink: SseSink, end: number): void {
    const ev = this.current;
    if (this.dataBytes !== undefined) {
      ev.data = this.dataBytes.toString('utf8', 0, this.dataLength);
      this.dataBytes = undefined;
      this.dataLength = 0;
    }
    this.current = blank();
    this.hasFields = false;
    sink.onEvent(ev, end);
  }
}

function blank(): SseEvent {
  return { event: undefined, data: undefined, id: undefined, comments: [] };
}

/** One SSE event as text: `event:` (optional), `id:` (optional) and one `data:` line per line of data. */
export function encodeSseEvent(data: string, event?: string, id?: string | number): string {
  let out = '';
  if (event !== undefined) out += `event: ${event}\n`;
  if (id !== undefined) out += `id: ${id}\n`;
  if (data.indexOf('\n') < 0) return `${out}data: ${data}\n\n`;
  for (const line of data.split('\n')) out += `data: ${line}\n`;
  return `${out}\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

/** Collects every event of a whole SSE body — for tests and the bench, not the hot path. */
export function decodeSseBody(body: Buffer | string): SseEvent[] {
  const events: SseEvent[] = [];
  const dec = new SseDecoder();
  const sink: SseSink = { onEvent: (ev) => events.push(ev) };
  dec.push(typeof body === 'string' ? Buffer.from(body) : body, sink);
  dec.end(sink);
  return events;
}
