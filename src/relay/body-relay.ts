/**
 * Non-streamed answers. `passthrough`: bytes go to the client as they arrive (flat memory whatever the
 * size). `buffered`: the whole body is held up to maxBytes, then sent with its length; over the limit
 * either a 502 response_too_large before any byte (`error`), Envoy's cut reproduced on purpose
 * (`truncate`): status 200, the first maxBytes bytes, then a dead connection — or what Envoy AI Gateway
 * answers (`envoy`): its external processor holds the headers with a buffered body, so an answer over
 * Envoy's buffer gets Envoy's local reply, 500 text/plain "Internal Server Error", and none of the answer.
 */
import { HeldBytes } from '../core/held-bytes.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { Scrub } from '../core/scrub.js';
import type { Downstream } from './downstream.js';
import { downstreamHeaders } from './headers.js';
import { TailWindow } from './usage-tap.js';
import { framedByClose, JsonEnd } from './json-end.js';
import { encodedBeyondIdentity } from './encoded-peek.js';

export interface BufferPolicy {
  mode: 'passthrough' | 'buffered';
  maxBytes: number;
  onOverflow: 'error' | 'truncate' | 'envoy';
}

export type BodyOutcome = { kind: 'ok' } | { kind: 'too_large' } | { kind: 'truncated'; delivered: number };

/** Envoy's local reply body for a response over its buffer limit (response code details: response_payload_too_large). */
const ENVOY_TOO_LARGE = Buffer.from('Internal Server Error');

/** Bodies without usage are counted from up to this many bytes; a larger one is estimated from its size. */
export const COUNTED_BODY_BYTES = 1024 * 1024;

export class BodyRelay {
  readonly tail = new TailWindow();
  /**
   * The first COUNTED_BODY_BYTES of the body, by reference (no copy): if the answer turns out to carry no
   * usage, its output is counted from them after the response (settle stage).
   */
  private kept: Buffer[] = [];
  private keptBytes = 0;
  /**
   * The socket reads the kept pieces are views into (undici's body chunks are views into the read that brought
   * them), counted once a read: a backend that sends 1-byte chunks each after a 64 KiB chunk extension would have
   * the first MiB kept hold thousands of reads. Past a few times the bytes kept, a piece is copied out of its read.
   */
  private keptReads = 0;
  private lastRead: ArrayBufferLike | undefined;
  private readonly held = new HeldBytes();
  received = 0;
  private ended = false;
  readonly expected: number | undefined;
  /** A plain body framed by its connection's close: read for the end of its JSON, the only sign it came whole. */
  private readonly closeEnd: JsonEnd | undefined;

  constructor(
    private readonly out: Downstream,
    private readonly policy: BufferPolicy,
    private readonly status: number,
    private readonly headers: IncomingHttpHeaders,
    private readonly scrub: Scrub,
  ) {
    const cl = headers['content-length'];
    this.expected = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined;
    // A compressed one is not read here (its coding's own end is not checked). One labelled identity (or an empty
    // label) is as plain as one with none: skipped for any label, its cut reached the client as a whole 200.
    if (framedByClose(headers) && !encodedBeyondIdentity(headers['content-encoding'])) this.closeEnd = new JsonEnd();
  }

  /** Framed by the close, it stopped inside its JSON: cut, however cleanly its connection closed. */
  cutAtClose(): boolean {
    return this.closeEnd !== undefined && !this.closeEnd.whole;
  }

  private head(withLength: number | undefined): void {
    const h = downstreamHeaders(this.headers, {}, this.scrub);
    if (withLength !== undefined) h['content-length'] = String(withLength);
    this.out.writeHead(this.status, h);
  }

  /**
   * Before any data: a declared length over the limit is refused at once (truncate mode still sends the first
   * maxBytes; Envoy would fill its buffer first, but the client sees the same bytes).
   */
  overflowsUpFront(): boolean {
    const p = this.policy;
    return p.mode === 'buffered' && p.onOverflow !== 'truncate' && this.expected !== undefined && this.expected > p.maxBytes;
  }

  /** Returns an outcome when the relay has finished early (overflow), else undefined. */
  push(chunk: Buffer): BodyOutcome | undefined {
    this.received += chunk.length;
    this.closeEnd?.feed(chunk);
    if (this.keptBytes < COUNTED_BODY_BYTES) {
      const piece = chunk.length <= COUNTED_BODY_BYTES - this.keptBytes ? chunk : chunk.subarray(0, COUNTED_BODY_BYTES - this.keptBytes);
      this.keptBytes += piece.length;
      this.kept.push(this.ownedEnough(piece));
    }
    this.tail.push(chunk);
    if (this.policy.mode === 'passthrough') {
      if (!this.out.headersSent) {
        this.head(this.expected);
        // The common small answer arrives in one piece: headers and body leave in one write.
        if (this.expected === chunk.length) {
          this.ended = true;
          this.out.end(chunk);
          return undefined;
        }
      }
      this.out.write(chunk);
      return undefined;
    }
    if (this.held.bytes + chunk.length <= this.policy.maxBytes) {
      this.held.push(chunk);
      return undefined;
    }
    return this.overflow(chunk);
  }

  /** `piece` as kept: the view itself, or a copy once the reads held would pass 4× the bytes kept (and 64 KiB). */
  private ownedEnough(piece: Buffer): Buffer {
    const read = piece.buffer;
    if (read === this.lastRead) return piece;
    if (this.keptReads + read.byteLength > 4 * this.keptBytes + 65_536) return Buffer.from(piece);
    this.keptReads += read.byteLength;
    this.lastRead = read;
    return piece;
  }

  overflow(chunk?: Buffer): BodyOutcome {
    if (this.policy.onOverflow === 'error') return { kind: 'too_large' };
    if (this.policy.onOverflow === 'envoy') {
      this.held.clear();
      this.out.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(ENVOY_TOO_LARGE.length) });
      this.out.end(ENVOY_TOO_LARGE);
      // Cut like a truncation (recorded, upstream aborted), with none of the answer delivered.
      return { kind: 'truncated', delivered: 0 };
    }
    const room = this.policy.maxBytes - this.held.bytes;
    const body = this.held.take(chunk && room > 0 ? chunk.subarray(0, room) : undefined);
    this.head(this.expected);
    this.out.write(body);
    this.out.destroy();
    return { kind: 'truncated', delivered: body.length };
  }

  /** The body's first `bytes` (latin1 by default: a character cut at the edge cannot fail). */
  headText(bytes: number, encoding: 'latin1' | 'utf8' = 'latin1'): string {
    const first = this.kept[0];
    if (!first) return '';
    if (first.length >= bytes || this.kept.length === 1) return first.toString(encoding, 0, Math.min(bytes, first.length));
    return Buffer.concat(this.kept, Math.min(bytes, this.keptBytes)).toString(encoding);
  }

  /** The body as kept for counting, and whether it is the whole body. */
  keptBody(): { bytes: Buffer; whole: boolean } {
    const bytes = this.kept.length === 1 ? this.kept[0]! : Buffer.concat(this.kept, this.keptBytes);
    return { bytes, whole: this.received <= COUNTED_BODY_BYTES };
  }

  /** The upstream ended cleanly. */
  end(): void {
    if (this.ended) return;
    if (this.policy.mode === 'passthrough') {
      if (!this.out.headersSent) this.head(this.received);
      this.out.end();
      return;
    }
    const body = this.held.take();
    this.head(body.length);
    this.out.end(body);
  }
}
