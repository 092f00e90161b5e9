/**
 * An answer's body framed by its length or by chunks, read here from views of each socket read. Node's parser
 * copies every piece of body into a new buffer and calls into JavaScript for it (~0.7 µs a streamed chunk on this
 * machine, against ~0.05 µs here), and would stay lent to a stream for its life (h1-parser.ts).
 *
 * Only the plainest chunk framing is read here: `HEX CRLF data CRLF`. At a chunk-size line that is anything else —
 * an extension, the last chunk (its trailers), a stray byte — the body goes back to llhttp from that line's start
 * (Connection.resumeNative), which reads it as it reads any answer: what it refuses is refused, with its reasons.
 * The one refusal made here is a chunk's data not followed by CRLF (llhttp's HPE_STRICT).
 */

/**
 * What llhttp reads first when a chunked body goes back to it mid-way: a head that puts it where it stands at a
 * chunk-size line (its own callback for it is skipped).
 */
export const RESUMED_HEAD = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n';

/** What `read` came to; `at` is where in the read it stopped. */
export enum BodyStep {
  /** Every byte was read: more is needed. */
  More,
  /** The body ended at `at`: what follows is not this answer's. */
  Done,
  /** llhttp reads on from `at`, after `sizeLine` (the chunk-size line's start, read in an earlier read). */
  Native,
  /** The answer cannot be read (`error`: llhttp's code for it). */
  Refused,
  /** The sink wanted no more (its answer is over). */
  Stopped,
}

export interface BodySink {
  /** A piece of body; false when nothing more is wanted. */
  bodyPiece(view: Buffer): boolean;
}

enum Chunk {
  Size,
  SizeLf,
  Data,
  DataCr,
  DataLf,
}

/** Past this a size goes to llhttp (which reads up to 2⁶⁴ − 1): exact in a double, and no backend's chunk. */
const MAX_SIZE = 2 ** 48;
/** Past this many digits (leading zeros) too: what is carried from one read to the next stays small. */
const MAX_DIGITS = 16;
const CR = 0x0d;
const LF = 0x0a;

/** A hex digit's value, or -1. */
function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

export class BodyReader {
  /** Where in the read `read` stopped (Native: where llhttp reads on from, after `sizeLine`). */
  at = 0;
  /** Refused: llhttp's code for why. */
  error = '';
  /** Native: the chunk-size line's bytes that came in earlier reads (latin1), for llhttp to read first. */
  sizeLine = '';
  private state = Chunk.Size;
  private size = 0;
  private digits = 0;

  /** `length` bytes (more than none), or chunks when `length` is -1. */
  constructor(private left: number) {}

  read(buf: Buffer, from: number, sink: BodySink): BodyStep {
    if (this.left >= 0) {
      const take = Math.min(this.left, buf.length - from);
      this.left -= take;
      this.at = from + take;
      if (take > 0 && !sink.bodyPiece(from === 0 && take === buf.length ? buf : buf.subarray(from, from + take))) return BodyStep.Stopped;
      return this.left === 0 ? BodyStep.Done : BodyStep.More;
    }
    const n = buf.length;
    let i = from;
    /** Where the chunk-size line being read starts in this read (it may have begun in an earlier one). */
    let line = from;
    while (i < n) {
      switch (this.state) {
        case Chunk.Size: {
          for (; i < n; i++) {
            const v = hexValue(buf[i]!);
            if (v < 0) break;
            this.size = this.size * 16 + v;
            if (++this.digits > MAX_DIGITS || this.size >= MAX_SIZE) return this.toNative(line);
          }
          if (i === n) break;
          // Digits, then CR: anything else (none, `;`, whitespace) is llhttp's to read.
          if (this.digits === 0 || buf[i] !== CR) return this.toNative(line);
          i++;
          this.state = Chunk.SizeLf;
          break;
        }
        case Chunk.SizeLf:
          // The last chunk (its trailers and the answer's end), or a CR without its LF: llhttp's to read.
          if (buf[i] !== LF || this.size === 0) return this.toNative(line);
          i++;
          this.sizeLine = '';
          this.state = Chunk.Data;
          break;
        case Chunk.Data: {
          const take = Math.min(this.size, n - i);
          this.size -= take;
          const piece = i === 0 && take === n ? buf : buf.subarray(i, i + take);
          i += take;
          if (this.size === 0) this.state = Chunk.DataCr;
          if (!sink.bodyPiece(piece)) return BodyStep.Stopped;
          break;
        }
        case Chunk.DataCr:
          if (buf[i] !== CR) return this.refuse(i);
          i++;
          this.state = Chunk.DataLf;
          break;
        case Chunk.DataLf:
          if (buf[i] !== LF) return this.refuse(i);
          i++;
          this.state = Chunk.Size;
          this.digits = 0;
          line = i;
          break;
      }
    }
    // A chunk-size line cut by the read's end: its bytes so far are kept, for llhttp should it read the line.
    if (this.state === Chunk.Size || this.state === Chunk.SizeLf) this.sizeLine += buf.toString('latin1', line, n);
    this.at = n;
    return BodyStep.More;
  }

  /** llhttp reads on from the start of the chunk-size line: `sizeLine` (earlier reads), then `buf` from `at`. */
  private toNative(at: number): BodyStep.Native {
    this.at = at;
    return BodyStep.Native;
  }

  private refuse(at: number): BodyStep.Refused {
    this.at = at;
    this.error = 'HPE_STRICT';
    return BodyStep.Refused;
  }
}
