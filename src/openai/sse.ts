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
   * The data of an event with more than one data line, as UTF-8: written into one buffer, from the second line on
   * (the first line's string, `current.data`, is copied in then and let go), decoded once at dispatch. Joined
   * string by string, a 16 MiB event of `data:x` lines held ~9× its bytes in cons strings while it arrived. The
   * buffer grows with the bytes written, never reserved ahead from a line's length: sized from 3 × a first line of
   * 16 MiB and kept beside it, one long line then `data:` held ~8× its bytes. See `writeData` for U+FFFD.
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
      if (this.dataBytes === undefined && this.current.data === undefined) this.current.data = value;
      else this.appendData(value);
    } else if (field === 'event') this.current.event = value;
    else if (field === 'id') this.current.id = value;
  }

  /** A second or later data line: after a line feed, into the data's buffer (the first line too, on the second). */
  private appendData(value: string): void {
    const bytes = dataLength(value);
    if (this.dataBytes === undefined) {
      const first = this.current.data!;
      this.current.data = undefined;
      const firstBytes = dataLength(first);
      // Exactly what the two lines need: an event of two data lines (the common case) wastes nothing.
      this.dataBytes = Buffer.allocUnsafeSlow(Math.max(MIN_DATA_BUFFER, firstBytes + 1 + bytes));
      this.dataLength = writeData(this.dataBytes, 0, first);
    }
    const need = this.dataLength + 1 + bytes;
    if (need > this.dataBytes.length) {
      // By half again, not twice: what is held past the data's bytes stays under half of them.
      const grown = Buffer.allocUnsafeSlow(Math.max(need, this.dataBytes.length + (this.dataBytes.length >>> 1)));
      this.dataBytes.copy(grown, 0, 0, this.dataLength);
      this.dataBytes = grown;
    }
    this.dataBytes[this.dataLength++] = LF;
    this.dataLength += writeData(this.dataBytes, this.dataLength, value);
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

/** U+FFFD, what a byte that is not UTF-8 decodes to. */
const REPLACEMENT = 0xfffd;

/** The bytes `writeData` writes for `s`. */
function dataLength(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  if (s.indexOf('\uFFFD') < 0) return n;
  let replacements = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === REPLACEMENT) replacements++;
  return n - 2 * replacements;
}

/**
 * `s` into `buf` at `at` as UTF-8, but each U+FFFD as the one byte 0xFF; returns the bytes written. A line's bytes
 * that are not UTF-8 were decoded to U+FFFD, 3 bytes each in UTF-8: 16 MiB of 0xFF held 48 MiB. 0xFF is never part
 * of a UTF-8 sequence, so it decodes back to exactly one U+FFFD and leaves its neighbours as they were: the data
 * decoded at dispatch is the same text. (A line decoded from bytes holds no lone surrogate.)
 */
function writeData(buf: Buffer, at: number, s: string): number {
  if (s.indexOf('\uFFFD') < 0) return buf.write(s, at, 'utf8');
  const start = at;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) buf[at++] = c;
    else if (c < 0x800) {
      buf[at++] = 0xc0 | (c >> 6);
      buf[at++] = 0x80 | (c & 0x3f);
    } else if (c === REPLACEMENT || (c >= 0xd800 && c < 0xe000 && !isPairAt(s, i))) {
      // A lone surrogate (none in decoded text) is U+FFFD to buf.write too, in 3 bytes where this writes 1.
      buf[at++] = 0xff;
    } else if (c >= 0xd800 && c < 0xe000) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      buf[at++] = 0xf0 | (cp >> 18);
      buf[at++] = 0x80 | ((cp >> 12) & 0x3f);
      buf[at++] = 0x80 | ((cp >> 6) & 0x3f);
      buf[at++] = 0x80 | (cp & 0x3f);
    } else {
      buf[at++] = 0xe0 | (c >> 12);
      buf[at++] = 0x80 | ((c >> 6) & 0x3f);
      buf[at++] = 0x80 | (c & 0x3f);
    }
  }
  return at - start;
}

function isPairAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  const d = s.charCodeAt(i + 1);
  return c >= 0xd800 && c < 0xdc00 && d >= 0xdc00 && d < 0xe000;
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
