/**
 * The client side of a relay: headers once, bytes counted, and backpressure turned into pause/resume of
 * the upstream (the upstream never runs ahead of a slow client by more than a socket buffer).
 */
import type { ServerResponse } from 'node:http';
import { timerDelay } from '../core/timer-delay.js';
import { cutUnreadAnswer } from '../core/unread-answer.js';
import type { RequestRecord } from '../events/request-record.js';

/** How long (in 5 ms polls) an abortive close waits for written bytes to leave. */
const FLUSH_POLLS = 200;
/**
 * node:http builds a response's head by appending each header to a string, and keeps that string for the
 * response's life: a rope of ~50 pieces (1.9 KiB for aigw's ~12 headers) held by every open stream. Converting
 * it to a number makes V8 flatten it in place (the rope becomes one ~0.5 KiB string; the trick pino's `flatstr`
 * used). Only for streams: a short answer's head is garbage soon, and flattening copies it.
 */
function flattenHead(res: ServerResponse): void {
  const head = (res as unknown as { _header?: unknown })._header;
  if (typeof head === 'string') Number(head);
}

export interface FlowControl {
  pause(): void;
  resume(): void;
}

export class Downstream {
  private paused = false;
  private flow: FlowControl | undefined;
  /**
   * Runs while a refused write waits for 'drain'. A client that stops reading pauses the upstream, where no
   * idle timer runs: without this it held its connection slot, its tenant's lease and an upstream connection
   * for as long as it kept the socket open.
   */
  private stall: NodeJS.Timeout | undefined;
  /** Called once the head is written: the answer is committed, no other attempt will follow. */
  onCommit: (() => void) | undefined;

  constructor(
    readonly res: ServerResponse,
    readonly record: RequestRecord,
    /** Headers every response to this request carries (OpenAI's x-ratelimit-* for a limited tenant). */
    private extraHeaders: Readonly<Record<string, string>> | undefined,
    /** How long a client may leave written bytes unread (timeouts.clientStall) before its answer is cut; 0: never. */
    private readonly stallMs: number,
  ) {}

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  /** Connects backpressure to an upstream (a 'drain' listener is only added once a write is refused). */
  attach(flow: FlowControl): void {
    this.flow = flow;
  }

  /** Made on the first refused write: most answers never meet backpressure. */
  private onDrain: (() => void) | undefined;

  /** `stream`: the answer is held open (a stream), so its head string is kept for as long: flattened. */
  writeHead(status: number, headers: Record<string, string | string[]>, stream = false): void {
    const { res, record, extraHeaders } = this;
    if (extraHeaders) {
      Object.assign(headers, extraHeaders);
      // Written once: not held for as long as the answer lasts.
      this.extraHeaders = undefined;
    }
    headers['x-request-id'] = record.requestId;
    if (record.backend) headers['x-aigw-backend'] = record.backend;
    record.status = status;
    res.writeHead(status, headers);
    if (stream) flattenHead(res);
    const onCommit = this.onCommit;
    this.onCommit = undefined;
    onCommit?.();
  }

  /** Sends the written head now, if no body has carried it yet (node:http holds a head until the first write). */
  flushHead(): void {
    const res = this.res as ServerResponse & { _headerSent?: boolean };
    // Only a head still held (node:http's _headerSent: on the wire): once a body write carried it, flushHeaders wrote
    // an empty chunk for nothing, on every translated stream.
    if (res.headersSent && res._headerSent === false && !res.destroyed) res.flushHeaders();
  }

  write(chunk: Buffer | string): void {
    const res = this.res;
    if (res.destroyed) return;
    this.record.bytesOut += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (!res.write(chunk) && !this.paused && this.flow) {
      this.paused = true;
      this.flow.pause();
      this.onDrain ??= () => {
        this.paused = false;
        this.flow?.resume();
      };
      res.once('drain', this.onDrain);
      // One timer per answer, re-armed at each wait (a slow reader pauses often); when it fires, a drain since
      // its last arming shows as not paused. (Not cleared on drain: refresh() does not revive a cleared timer.)
      if (this.stall) this.stall.refresh();
      else if (this.stallMs > 0) {
        this.stall = setTimeout(() => this.stalled(), timerDelay(this.stallMs));
        // A client gone while it was waited for: the timer does not keep this answer for the rest of its window.
        res.once('close', () => clearTimeout(this.stall));
      }
    }
  }

  /**
   * The client read nothing for stallMs (as far as Node can tell: see timeouts.clientStall): the connection goes,
   * as for a client that left, so the upstream is aborted and everything the request holds is freed. Its bytes
   * were never read, so no frame would reach it.
   */
  private stalled(): void {
    if (!this.paused || this.res.destroyed) return;
    this.res.destroy();
  }

  end(chunk?: Buffer | string): void {
    clearTimeout(this.stall);
    if (chunk !== undefined) this.record.bytesOut += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    this.res.end(chunk);
    // Bytes the client's socket has not taken hold its place in limits.maxInflight, its tenant's lease and them.
    cutUnreadAnswer(this.res, this.stallMs);
  }

  /**
   * An abortive close: the client sees a broken connection, never a clean end of a cut body. What was
   * written is let out first (bounded wait), so the client gets exactly the bytes counted as delivered.
   */
  destroy(): void {
    clearTimeout(this.stall);
    const res = this.res;
    const socket = res.socket;
    let polls = 0;
    const check = () => {
      if (!socket || socket.destroyed || socket.writableLength === 0 || ++polls > FLUSH_POLLS) cut(res, socket);
      else setTimeout(check, 5);
    };
    setImmediate(check);
  }
}

/**
 * Whether the client reads a cut from the body's framing: chunked (no last chunk) or a content-length (short of it).
 * An HTTP/1.0 client's body without a length is framed by the close alone (no chunked coding there) — what nginx reads
 * by default (`proxy_http_version 1.0`) — and a FIN is that framing's clean end.
 */
function framed(res: ServerResponse): boolean {
  const r = res as ServerResponse & { chunkedEncoding?: boolean; _header?: unknown };
  return r.chunkedEncoding === true || (typeof r._header === 'string' && /\r\ncontent-length:/i.test(r._header));
}

/**
 * The abortive close: a FIN where the framing shows the cut (the client keeps every byte sent), a reset where it
 * cannot — half a chat completion closed with a FIN reached an HTTP/1.0 client, and nginx's clients, as the whole
 * answer. A TLS socket has no reset of its own (it sends no close_notify when destroyed: the cut shows).
 */
function cut(res: ServerResponse, socket: ServerResponse['socket']): void {
  if (socket && !socket.destroyed && !framed(res) && !('encrypted' in socket)) socket.resetAndDestroy();
  else res.destroy();
}
