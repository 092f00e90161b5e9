/**
 * The gateway's own HTTP/1.1 client for a backend: keep-alive sockets, one request at a time on each, the answer's
 * head read by Node's own llhttp (the parser node:http uses, native, lent per head: h1-parser.ts), a body framed by
 * a length or by plain chunks read from views of each read (h1-body.ts; llhttp reads any other), all handed to an
 * undici dispatch handler (relay/exchange.ts) — the same lifecycle, controller and error codes as undici's Pool, so
 * the exchange and upstream/classify.ts read either. Why not undici: per request it builds and validates a Request,
 * parses the answer in WebAssembly and defers each write on a reused socket to the next loop turn. Against the build
 * that used undici (BENCHMARKS.md, 2026-12-05): ~0.19 ms less time to a paced stream's first byte (the path an idle
 * gateway runs cold), 0.96–0.97× the CPU per request under load. (Measured before a write on an idle connection
 * waited for the check phase, as undici's does: H1Pool.check — not measured since.)
 *
 * What it keeps from undici's behaviour (each pinned by a test; h1-pool-faults.test.ts runs each case through both):
 * the head due headersTimeout after the request's write (0: none), bodyTimeout between reads (not while the handler
 * has paused the answer), a connect timeout, idle sockets closed after keepAliveTimeout or sooner when the backend's
 * `Keep-Alive: timeout=` says so, a connection reused only once the loop has read what came after its answer (and
 * polled it again at each reuse: what it held while idle), bytes nobody asked for closing the connection, a 204 or
 * 304 that names a body closing it, a `100 Continue` nobody asked for and any upgrade refused as `bad response`
 * / `bad upgrade` (other 1xx handed to the handler and skipped), undici's checks of header names, values and the path.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { reportFailure } from '../core/guard.js';
import { type BodySink, BodyReader, BodyStep, RESUMED_HEAD } from './h1-body.js';
import { type LentParser, lendParser, type ParserOwner, STOP_AFTER_HEAD, takeBack } from './h1-parser.js';
import { timerDelay } from '../core/timer-delay.js';

/** undici's checks: a name is a token; a value holds no control character but tab (nor anything past Latin-1). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const UNSAFE_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** A request target: no whitespace or control character (it would end or split the request line), nothing past Latin-1. */
const UNSAFE_PATH = /[^\u0021-\u00ff]/;

export interface H1PoolOptions {
  connections: number;
  keepAliveTimeout: number;
  headersTimeout: number;
  bodyTimeout: number;
  connectTimeout: number;
  /** For https backends: CAs to trust instead of Node's store (tests; the profile has no such key). */
  ca?: string | Buffer;
}

export interface H1Request {
  path: string;
  method: string;
  /** Flat [name, value, …]. */
  headers: readonly string[];
  body: Buffer | string;
  headersTimeout?: number;
}

/** Errors as undici names them (upstream/classify.ts reads the codes). */
export class UpstreamSocketError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'UpstreamSocketError';
  }
}

/**
 * undici's dispatch handler, and the pool's one addition to it: `onRequestSent`, once the request's bytes are handed
 * to the socket. `onRequestStart` comes when a connection takes the request, which may still be connecting (or never
 * finish its TLS handshake): what the backend may be working on starts at the write, not there. `reused`: the
 * connection waited idle in the pool before — a close that meets the request may be the backend's close of it idle
 * (the keep-alive race, Node's `reusedSocket`); one opened for this request was in no such race.
 */
export interface H1Handler extends Dispatcher.DispatchHandler {
  onRequestSent?(reused: boolean): void;
  /**
   * Once, as the first bytes of the request's answer are read — before its head is whole: a backend that has begun a
   * status line has read the request, and a reset after it is no keep-alive race however soon it comes.
   */
  onResponseBytes?(): void;
}

const socketError = (message: string) => new UpstreamSocketError(message, 'UND_ERR_SOCKET');

/** What a connection waits for, each with its own timeout (`none`: the handler paused the answer). */
type Timing = 'connect' | 'headers' | 'body' | 'idle' | 'none';

/** One request in flight: the handler's controller. */
class Flight implements Dispatcher.DispatchController {
  aborted = false;
  paused = false;
  reason: Error | null = null;
  rawHeaders: Buffer[] | null = null;
  rawTrailers: Buffer[] | null = null;
  /** The final head was handed over; `status` below 200 until then. */
  status = 0;
  over = false;

  /** When the request was written (performance.now()): the answer's head is due headersTimeout after it. */
  sentAt = 0;
  /** A byte of the answer was read (H1Handler.onResponseBytes told). */
  heard = false;
  /**
   * Read while paused (the rest of the read the pause came in, up to the answer's end): handed over on resume, as
   * undici unshifts it — a paused handler gets nothing more until it asks.
   */
  held: Buffer[] | undefined;
  /** The answer ended while paused: its end is handed over after what is held. */
  heldEnd = false;

  constructor(
    /** Until the answer is read whole (or fails): then the connection serves others, and is nothing of this flight's. */
    public conn: Connection | undefined,
    readonly handler: H1Handler,
    readonly headersTimeout: number,
  ) {}

  abort(reason: Error): void {
    if (this.over || this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    if (this.conn) this.conn.fail(this, reason);
    else this.failWith(reason);
  }

  pause(): void {
    if (this.over || this.paused) return;
    this.paused = true;
    this.conn?.pauseReading();
  }

  resume(): void {
    if (this.over || !this.paused) return;
    this.paused = false;
    if (this.held || this.heldEnd) this.handOver();
    if (!this.paused && !this.over) this.conn?.resumeReading();
  }

  /** What was held, in order, while the handler does not pause again; then the end if it came. */
  private handOver(): void {
    try {
      while (this.held && this.held.length > 0 && !this.paused && !this.over) this.handler.onResponseData?.(this, this.held.shift()!);
      if (this.held?.length === 0) this.held = undefined;
      if (this.heldEnd && !this.held && !this.paused && !this.over) this.finish();
    } catch (e) {
      // Called from the handler's own resume (a drain event): nothing above would catch it but the process.
      reportFailure(e);
      if (!this.over) this.abort(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** The answer ended whole. A handler that throws then is told of it as a failure, as undici tells it. */
  finish(): void {
    this.over = true;
    try {
      this.handler.onResponseEnd?.(this, {});
    } catch (e) {
      reportFailure(e);
      try {
        this.handler.onResponseError?.(this, e instanceof Error ? e : new Error(String(e)));
      } catch (e2) {
        reportFailure(e2);
      }
    }
  }

  /** The answer fails (once), whatever was held. */
  failWith(err: Error): void {
    if (this.over) return;
    this.over = true;
    this.held = undefined;
    try {
      this.handler.onResponseError?.(this, err);
    } catch (e) {
      reportFailure(e);
    }
  }
}

/** One socket to the backend; a parser while it reads a head (h1-parser.ts), the body read in h1-body.ts. */
class Connection implements ParserOwner, BodySink {
  readonly socket: Socket;
  /** Lent while llhttp reads: a head, or a body only it reads (none framed; chunks after their plain ones). */
  private parser: LentParser | undefined;
  /** The answer's body, framed by a length or by chunks: read here, off llhttp (h1-body.ts). */
  private body: BodyReader | undefined;
  /** The parser reads RESUMED_HEAD: its head is not an answer's. */
  private resumed = false;
  /** The request was a HEAD: its answer has no body, whatever its head says. */
  private bodyless = false;
  private flight: Flight | undefined;
  private connected = false;
  private dead = false;
  /**
   * The last answer was read, or a request took it idle: the connection waits for the loop to poll it before a request
   * is written on it (H1Pool.settle, H1Pool.check).
   */
  settling = false;
  /** A message began with no request waiting for it: bytes nobody asked for, read in the same read as an answer. */
  private unasked = false;
  /**
   * It went back to the pool once (its answer read whole, or a request refused): a request written on it now is
   * written on a connection that waited idle, which the backend may be closing (H1Handler.onRequestSent's `reused`).
   */
  private idled = false;
  private headerParts: string[] = [];
  private keepAliveMs: number;
  /** What the connection waits for now: which deadline its timer stands for. */
  private timing: Timing = 'connect';
  /**
   * performance.now() of what the wait counts from: the connection's start (connect), the last read (body), the
   * answer's end (idle). A head is due by its flight's deadline (sentAt), not after a quiet spell.
   */
  private since = performance.now();
  /**
   * The connection's one timer and when it is due. A wait whose deadline is later than the armed one's leaves it
   * armed: it fires early, and onTimer arms it again for what is left — so a connection serving request after
   * request (idle → headers → body → idle, each a different length) sets a timer every few seconds, not three a
   * request as `socket.setTimeout` did (each a new Timeout and a bound function; and a refresh on every read).
   */
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Number.POSITIVE_INFINITY;
  private pending: { head: string; body: Buffer | string } | undefined;

  constructor(
    private readonly pool: H1Pool,
    url: URL,
  ) {
    const o = pool.options;
    this.keepAliveMs = o.keepAliveTimeout;
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.socket =
      url.protocol === 'https:'
        ? tlsConnect({ host, port, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], ...(o.ca ? { ca: o.ca } : {}) })
        : netConnect({ host, port });
    this.socket.setNoDelay(true);
    this.time('connect');
    this.socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => this.onConnect());
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (e: Error) => this.onSocketError(e));
    this.socket.on('close', () => this.onClose());
  }

  /** Sends `req` on this connection (idle, or still connecting). */
  send(flight: Flight, req: H1Request): void {
    this.flight = flight;
    this.shouldKeep = true;
    this.bodyless = req.method === 'HEAD';
    if (UNSAFE_PATH.test(req.path)) return this.refuse(flight, 'invalid request path');
    let host = this.pool.host;
    let lines = '';
    const h = req.headers;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]!;
      const value = h[i + 1]!;
      if (!TOKEN.test(name) || UNSAFE_VALUE.test(value)) return this.refuse(flight, `invalid ${name.slice(0, 40)} header`);
      // A host among them (a backend's configured one: a virtual host reached by its address) is the Host sent, in
      // place of the URL's, as undici sends it: beside it, two Host lines are a 400 to a server (RFC 9112 §3.2).
      if (name.length === 4 && name.toLowerCase() === 'host') host = value;
      else lines += `${name}: ${value}\r\n`;
    }
    const length = typeof req.body === 'string' ? Buffer.byteLength(req.body) : req.body.length;
    const head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${host}\r\n${lines}content-length: ${length}\r\n\r\n`;
    try {
      flight.handler.onRequestStart?.(flight, {});
    } catch (e) {
      // A handler that throws as its request starts: reported, the request failed, its connection closed.
      return this.threw(flight, e);
    }
    if (flight.aborted) return;
    if (!this.connected) return void (this.pending = { head, body: req.body });
    this.write(head, req.body);
  }

  /** A request that cannot be written: it fails, and its controller is nothing of the connection's, which serves on. */
  private refuse(flight: Flight, message: string): void {
    this.flight = undefined;
    flight.conn = undefined;
    this.settle();
    flight.failWith(invalidArgument(message));
  }

  private write(head: string, body: Buffer | string): void {
    const flight = this.flight!;
    flight.sentAt = performance.now();
    flight.handler.onRequestSent?.(this.idled);
    this.time('headers');
    const s = this.socket;
    s.cork();
    s.write(head, 'latin1');
    if (body.length > 0) s.write(body);
    s.uncork();
  }

  private onConnect(): void {
    this.connected = true;
    const p = this.pending;
    this.pending = undefined;
    if (p) this.write(p.head, p.body);
    else this.time('idle');
  }

  private onData(d: Buffer): void {
    if (this.dead) return;
    // Bytes nobody asked for (an idle socket; a second answer after the first): the connection cannot be trusted.
    const f = this.flight;
    if (!f) return this.destroy();
    const now = performance.now();
    if (this.timing === 'body') this.since = now;
    if (this.body) return this.readBody(f, d, 0);
    if (!f.heard) {
      f.heard = true;
      try {
        f.handler.onResponseBytes?.();
      } catch (e) {
        return this.threw(f, e);
      }
      if (this.flight !== f) return;
    }
    // The head is due by a deadline, not after a quiet spell: a backend trickling it a byte at a time is late.
    if (f.status < 200 && f.headersTimeout > 0 && now - f.sentAt > f.headersTimeout) return this.headersLate(f);
    this.parse(f, d);
  }

  /** `d` read by llhttp; on in h1-body.ts when it stopped at the end of a head (onHead). */
  private parse(f: Flight, d: Buffer): void {
    const p = (this.parser ??= lendParser(this));
    let r: number | Error;
    try {
      r = p.execute(d);
    } catch (e) {
      // A handler threw inside a parser callback: that answer is over, and so is the connection it was read from.
      this.giveBack(false);
      return this.threw(f, e);
    }
    // Past the answer's end, in the same read: another answer, or garbage — never the next request's.
    if (this.unasked) return this.destroy();
    if (r instanceof Error) {
      this.giveBack(false);
      if (this.flight === f) this.fail(f, parseError(r));
      else this.destroy();
      return;
    }
    // The answer ended, or llhttp stopped at its head: the parser is not needed until the next head.
    if (this.body || this.flight !== f) this.giveBack(true);
    if (this.body && !this.dead && r < d.length) this.readBody(f, d, r);
  }

  /** The parser back (h1-parser.ts), once its execute() has returned: reused unless it failed. */
  private giveBack(reuse: boolean): void {
    const p = this.parser;
    this.parser = undefined;
    if (p) takeBack(p, reuse);
  }

  /** `d` from `at`, a framed body's bytes (h1-body.ts). */
  private readBody(f: Flight, d: Buffer, at: number): void {
    const b = this.body!;
    let step: BodyStep;
    try {
      step = b.read(d, at, this);
    } catch (e) {
      // A handler threw while it was handed a piece: that answer is over, and so is the connection.
      this.body = undefined;
      return this.threw(f, e);
    }
    switch (step) {
      case BodyStep.More:
      case BodyStep.Stopped:
        return;
      case BodyStep.Done:
        this.body = undefined;
        this.onMessageEnd();
        // After the answer, in the same read: line ends llhttp would skip, or bytes nobody asked for.
        if (b.at < d.length && !this.dead && !lineEndsOnly(d, b.at)) this.destroy();
        return;
      case BodyStep.Refused:
        this.body = undefined;
        return this.fail(f, new UpstreamSocketError(`bad response: ${b.error}`, 'HPE_INVALID'));
      case BodyStep.Native: {
        // llhttp reads on from the chunk-size line h1-body stopped at, standing where it would stand there.
        this.body = undefined;
        this.resumed = true;
        const p = (this.parser = lendParser(this));
        const r = p.execute(Buffer.from(RESUMED_HEAD + b.sizeLine, 'latin1'));
        if (r instanceof Error) return this.fail(f, parseError(r));
        return this.parse(f, b.at === 0 ? d : d.subarray(b.at));
      }
    }
  }

  /** A piece of a framed body (h1-body.ts); false once its answer is over. */
  bodyPiece(chunk: Buffer): boolean {
    this.onBody(chunk);
    return !this.dead && this.flight !== undefined;
  }

  onMessageBegin(): void {
    if (!this.flight) this.unasked = true;
  }

  onHeaderParts(headers: string[]): void {
    for (const h of headers) this.headerParts.push(h);
  }

  private threw(f: Flight, e: unknown): void {
    reportFailure(e);
    if (!f.over) this.fail(f, e instanceof Error ? e : new Error(String(e)));
    else this.destroy();
  }

  private onEnd(): void {
    if (this.dead) return;
    const f = this.flight;
    if (!f) return this.destroy();
    // An answer delimited by the connection's close ends here; any other is cut.
    // A framed body cut short: what llhttp says of it (h1-body.ts reads it in its place).
    if (this.body) return this.fail(f, new UpstreamSocketError('bad response: HPE_INVALID_EOF_STATE', 'HPE_INVALID'));
    let r: number | Error | undefined;
    try {
      r = this.parser?.finish();
    } catch (e) {
      this.giveBack(false);
      return this.threw(f, e);
    }
    this.giveBack(!(r instanceof Error));
    if (r instanceof Error) return this.fail(f, parseError(r));
    if (this.flight === f) this.fail(f, socketError('other side closed'));
  }

  private onSocketError(e: Error): void {
    if (this.dead) return;
    if (this.flight) this.fail(this.flight, e);
    else this.destroy();
  }

  private onClose(): void {
    this.disarm();
    if (this.flight) this.fail(this.flight, socketError('other side closed'));
    this.dead = true;
    this.pool.forget(this);
    this.body = undefined;
    this.giveBack(false);
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    if (this.dead) return;
    const due = this.due();
    if (due === Number.POSITIVE_INFINITY) return;
    if (performance.now() < due) this.arm(due);
    else this.onTimeout();
  };

  private onTimeout(): void {
    const f = this.flight;
    switch (this.timing) {
      case 'connect':
        if (f) this.fail(f, new UpstreamSocketError('connect timed out', 'UND_ERR_CONNECT_TIMEOUT'));
        else this.destroy();
        return;
      case 'headers':
        if (f) this.headersLate(f);
        return;
      case 'body':
        if (f) this.fail(f, new UpstreamSocketError('body timed out', 'UND_ERR_BODY_TIMEOUT'));
        return;
      case 'idle':
        return this.destroy();
      default:
    }
  }

  private headersLate(f: Flight): void {
    this.fail(f, new UpstreamSocketError('headers timed out', 'UND_ERR_HEADERS_TIMEOUT'));
  }

  /** The connection waits for `t` from now: its timer is brought forward if the wait ends before it is due. */
  private time(t: Timing): void {
    this.timing = t;
    if (t === 'none') return;
    // A head is due by its flight's deadline (sentAt): only the other waits count from now.
    if (t !== 'headers') this.since = performance.now();
    const due = this.due();
    if (due < this.timerDue) this.arm(due);
  }

  /** When the wait the connection is in ends (performance.now()); infinity for none (a timeout of 0 is none). */
  private due(): number {
    const o = this.pool.options;
    let ms: number;
    switch (this.timing) {
      case 'connect':
        ms = o.connectTimeout;
        break;
      case 'headers': {
        const f = this.flight;
        return f && f.headersTimeout > 0 ? f.sentAt + f.headersTimeout : Number.POSITIVE_INFINITY;
      }
      case 'body':
        ms = o.bodyTimeout;
        break;
      case 'idle':
        ms = this.keepAliveMs;
        break;
      default:
        return Number.POSITIVE_INFINITY;
    }
    return ms > 0 ? this.since + ms : Number.POSITIVE_INFINITY;
  }

  private arm(due: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    // Past Node's largest delay (~24.8 days) a timer fires at once: it fires at the largest, and is armed again.
    this.timer = setTimeout(this.onTimer, timerDelay(Math.max(1, Math.ceil(due - performance.now()))));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  private shouldKeep = true;

  onHead(headers: string[] | undefined, status: number, statusMessage: string, upgrade: boolean, keepAlive: boolean): number {
    if (this.resumed) {
      this.resumed = false;
      return 0;
    }
    const f = this.flight;
    if (!f || f.aborted) return 0;
    let raw = headers;
    if (raw === undefined) {
      raw = this.headerParts;
      this.headerParts = [];
    }
    if (upgrade || status === 101) {
      this.fail(f, socketError('bad upgrade'));
      return 2;
    }
    // A 100 nobody asked for; a status under 100 is none (llhttp reads any three digits), not an informational one.
    if (status <= 100) {
      this.fail(f, socketError('bad response'));
      return 2;
    }
    const object = headersObject(raw);
    if (status >= 200) {
      f.status = status;
      this.shouldKeep = keepAlive;
      const hint = keepAliveHint(object['keep-alive']);
      // `timeout=1` (or 0): the backend closes at once, as undici reads it.
      if (hint !== undefined && hint <= 0) this.shouldKeep = false;
      else if (hint !== undefined) this.keepAliveMs = Math.min(this.pool.options.keepAliveTimeout, hint);
      // A 204 or 304 that says it has a body (a length, chunks): llhttp reads none, as RFC 9112 §6.3 has it, but a
      // backend that meant one sends it after the head, where the next request's answer is read — that request failed
      // on it, or was answered with it. The connection is not kept (undici refuses such a 204 or 304 outright).
      if ((status === 204 || status === 304) && namesBody(object)) this.shouldKeep = false;
      this.time(f.paused ? 'none' : 'body');
    }
    f.handler.onResponseStart?.(f, status, object, statusMessage);
    // A 1xx has no body, whatever its head says (RFC 9112 §6.3; 1: llhttp skips it, as undici and node:http have it
    // do). Left to llhttp, a 1xx past 103 that names a length or chunks was read with a body: the final answer's bytes.
    if (status < 200) return 1;
    if (this.flight !== f) return 0;
    // The answer to a HEAD has no body, whatever its head says (1: llhttp skips it, as node:http has it do).
    if (this.bodyless) return 1;
    if (status === 204 || status === 304) return 0;
    const length = framedLength(object);
    if (length === 0) return 0;
    // Framed: llhttp stops at the head's end, and the body is read in h1-body.ts.
    this.body = new BodyReader(length);
    return STOP_AFTER_HEAD;
  }

  onBody(chunk: Buffer): void {
    const f = this.flight;
    if (!f || f.aborted || f.status < 200) return;
    if (f.paused) return void (f.held ??= []).push(chunk);
    f.handler.onResponseData?.(f, chunk);
  }

  onMessageEnd(): void {
    // llhttp's end of a head it stopped at (STOP_AFTER_HEAD): the body is still to come.
    if (this.body) return;
    // What the parser handed over since the head is a chunked answer's trailers: not the next answer's headers.
    if (this.headerParts.length > 0) this.headerParts = [];
    const f = this.flight;
    if (!f || f.aborted) return;
    // A 1xx answer is over: the final one follows on the same connection.
    if (f.status < 200) return;
    this.flight = undefined;
    f.conn = undefined;
    if (f.paused) this.socket.resume();
    // Answered before its request was written whole (a backend that answers at the head, 413-style): the rest of the
    // body is still queued, the next request would go out behind it, and a backend that reads that rest as a request
    // answers it there — the next request's answer. Not kept, as undici keeps no socket still writing a body.
    if (this.shouldKeep && this.socket.writableLength === 0) this.settle();
    else this.destroy();
    if (f.paused || f.held) return void (f.heldEnd = true);
    f.finish();
  }

  /** Ends the flight with `err` (once) and the connection with it. */
  fail(f: Flight, err: Error): void {
    if (f.over) return;
    if (this.flight === f) this.flight = undefined;
    f.conn = undefined;
    this.destroy();
    f.failWith(err);
  }

  pauseReading(): void {
    this.socket.pause();
    if (this.timing === 'body') this.time('none');
  }

  resumeReading(): void {
    this.socket.resume();
    if (this.timing === 'none' && this.flight && this.flight.status >= 200) this.time('body');
  }

  /** Read whole: back to the pool after a loop turn (H1Pool.settle), idle meanwhile. */
  private settle(): void {
    // Still connecting (a request refused before it was written): the connect timeout keeps running. Idle already
    // (a request refused on an idle connection): its idle time runs from its last answer, not from the refusal.
    if (this.connected && this.timing !== 'idle') this.time('idle');
    this.idled = true;
    this.settling = true;
    this.pool.settle(this);
  }

  /** Settled: a FIN, a reset or bytes that came meanwhile have closed it, or it serves again. */
  settled(): void {
    this.settling = false;
    if (!this.dead) this.pool.idle(this);
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.disarm();
    this.pool.forget(this);
    this.socket.destroy();
  }
}

function invalidArgument(message: string): Error {
  return new UpstreamSocketError(message, 'UND_ERR_INVALID_ARG');
}

/**
 * The length of a body framed by one content-length (more than none), -1 for one framed by chunks alone, 0 for
 * any other: llhttp reads those (no body, one read to the close, transfer-codings it knows better).
 */
function framedLength(h: IncomingHttpHeaders): number {
  const te = h['transfer-encoding'];
  const cl = h['content-length'];
  // Only what llhttp itself reads so: space and tab around the value, nothing else (String.trim() also takes U+00A0,
  // which a Latin-1 value can end in: `chunked\xa0` is not chunked to llhttp, whose answer then runs to the close).
  if (te !== undefined) return typeof te === 'string' && cl === undefined && CHUNKED.test(te) ? -1 : 0;
  if (typeof cl !== 'string') return 0;
  const m = LENGTH.exec(cl);
  return m ? Number(m[1]) : 0;
}
const CHUNKED = /^[ \t]*chunked[ \t]*$/i;

/** Whether a head says a body follows: a transfer-encoding, or a content-length other than 0. */
function namesBody(h: IncomingHttpHeaders): boolean {
  const cl = h['content-length'];
  return h['transfer-encoding'] !== undefined || (cl !== undefined && !(typeof cl === 'string' && ZERO.test(cl)));
}
const ZERO = /^[ \t]*0+[ \t]*$/;
const LENGTH = /^[ \t]*(\d{1,15})[ \t]*$/;

/** Whether `d` from `at` holds only CR and LF (llhttp skips them between answers). */
function lineEndsOnly(d: Buffer, at: number): boolean {
  for (let i = at; i < d.length; i++) if (d[i] !== 0x0d && d[i] !== 0x0a) return false;
  return true;
}

function parseError(e: Error): Error {
  // llhttp's reason (HPE_INVALID_CHUNK_SIZE, HPE_HEADER_OVERFLOW, …): a response that cannot be read.
  const code = (e as { code?: string }).code ?? 'HPE_ERROR';
  return new UpstreamSocketError(`bad response: ${code}`, code === 'HPE_HEADER_OVERFLOW' ? 'UND_ERR_HEADERS_OVERFLOW' : 'HPE_INVALID');
}

/**
 * Names lowercased; a repeated name's values as an array, in order (undici's shape). A backend names the keys: one
 * named `constructor` or `__proto__` is an own key like any other, never what the object inherits.
 */
function headersObject(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (!Object.hasOwn(out, name)) {
      if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, configurable: true, writable: true });
      else out[name] = value;
    } else {
      const had = out[name]!;
      if (typeof had === 'string') out[name] = [had, value];
      else had.push(value);
    }
  }
  return out;
}

/** `Keep-Alive: timeout=N` in ms, a second short of it so that the backend's own close is not raced. */
function keepAliveHint(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /(?:^|[,\s])timeout=(\d+)/i.exec(value);
  if (!m) return undefined;
  const s = Number(m[1]);
  return (s - 1) * 1000;
}

export class H1Pool {
  readonly host: string;
  closed = false;
  private readonly url: URL;
  private readonly free: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly queue: { req: H1Request; handler: H1Handler }[] = [];
  /** Connections read whole this loop turn, and those of the turn before: reused after a poll of their own (settle). */
  private settling: Connection[] = [];
  private ripening: Connection[] = [];
  /** Idle connections a request took this turn: written on once the loop has polled them again (check). */
  private checking: Connection[] = [];
  private closing: Promise<void> | undefined;
  private onClosed: (() => void) | undefined;

  constructor(
    origin: string,
    readonly options: H1PoolOptions,
  ) {
    this.url = new URL(origin);
    this.host = this.url.host;
  }

  dispatch(req: H1Request, handler: H1Handler): boolean {
    if (this.closed) {
      handler.onResponseError?.(new Flight(undefined, handler, 0), new UpstreamSocketError('the pool is closed', 'UND_ERR_CLOSED'));
      return false;
    }
    return this.run(req, handler);
  }

  /** On an idle connection, a new one, or in the queue: for one settling now (it is as good as free), or at the cap. */
  private run(req: H1Request, handler: H1Handler): boolean {
    const conn = this.free.pop();
    if (!conn) {
      if (
        this.settling.length + this.ripening.length + this.checking.length > this.queue.length ||
        this.all.size >= this.options.connections
      ) {
        this.queue.push({ req, handler });
        return false;
      }
      return this.start(new Connection(this, this.url), req, handler);
    }
    this.check(conn, req, handler);
    return true;
  }

  /**
   * An idle connection taken for `req`: the request is written on it once the loop has polled its socket, as undici
   * validates an idle socket at each reuse (GHSA-35p6-xmwp-9g52) — a FIN, a reset or bytes nobody asked for may sit
   * unread in its buffer when the request comes (the client's request read earlier in the same poll, a retry's timer),
   * and written at once, the request met the close, or had those bytes read as its answer: another request's, whole.
   * The settle after an answer does not cover this: the bytes may come at any time after it.
   */
  private check(conn: Connection, req: H1Request, handler: H1Handler): void {
    // Queued: the connection takes the first queued once checked; if it closed instead, its request goes to another
    // (runQueued), as for a connection that closed while settling.
    this.queue.push({ req, handler });
    conn.settling = true;
    this.checking.push(conn);
    if (this.checking.length === 1) setImmediate(this.checked);
  }

  private readonly checked = (): void => {
    const done = this.checking;
    this.checking = [];
    for (const c of done) c.settled();
    this.runQueued();
  };

  private start(conn: Connection, req: H1Request, handler: H1Handler): boolean {
    this.all.add(conn);
    conn.send(new Flight(conn, handler, req.headersTimeout ?? this.options.headersTimeout), req);
    return true;
  }

  /**
   * `conn` has read its answer whole: it is reused once the loop has polled its sockets again, as undici waits before
   * reusing one (GHSA-35p6-xmwp-9g52), so that a close, a reset or bytes the backend sent right after the answer close
   * it first and no request is written onto a connection the backend already closed. The check phase after the read
   * comes before that poll (a backend's close in it is not read yet), hence two: one pair for all of a turn's.
   */
  settle(conn: Connection): void {
    this.settling.push(conn);
    if (this.settling.length === 1) setImmediate(this.ripen);
  }

  private readonly ripen = (): void => {
    for (const c of this.settling) this.ripening.push(c);
    this.settling = [];
    if (this.ripening.length > 0) setImmediate(this.settleAll);
  };

  private readonly settleAll = (): void => {
    const done = this.ripening;
    this.ripening = [];
    for (const c of done) c.settled();
    this.runQueued();
  };

  /** Requests queued for a settling connection that closed instead: each a connection of its own, within the cap. */
  private runQueued(): void {
    while (
      this.queue.length > 0 &&
      this.settling.length + this.ripening.length + this.checking.length === 0 &&
      (this.free.length > 0 || this.all.size < this.options.connections)
    ) {
      const next = this.queue.shift()!;
      this.run(next.req, next.handler);
    }
  }

  /** `conn` is idle: the next queued request takes it, else it waits for one (closed: it goes). */
  idle(conn: Connection): void {
    const next = this.queue.shift();
    if (next) return void this.start(conn, next.req, next.handler);
    if (this.closed) return conn.destroy();
    this.free.push(conn);
  }

  forget(conn: Connection): void {
    this.all.delete(conn);
    const i = this.free.indexOf(conn);
    if (i >= 0) this.free.splice(i, 1);
    // A connection gone with requests queued (closing or not: close() lets them run): the next gets a new one.
    if (this.queue.length > 0 && !conn.settling) {
      queueMicrotask(() => {
        const next = this.queue.shift();
        if (next) this.run(next.req, next.handler);
      });
    }
    if (this.closed && this.all.size === 0 && this.queue.length === 0) this.onClosed?.();
  }

  /** No new requests, and every socket closed now: requests under way or queued fail. */
  destroy(): Promise<void> {
    const done = this.close();
    for (const q of this.queue.splice(0)) {
      new Flight(undefined, q.handler, 0).failWith(new UpstreamSocketError('the pool was destroyed', 'UND_ERR_DESTROYED'));
    }
    for (const c of [...this.all]) c.destroy();
    if (this.all.size === 0) this.onClosed?.();
    return done;
  }

  /** No new requests; idle sockets close now, busy ones when their answer ends, queued requests still run. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = new Promise((r) => (this.onClosed = r));
    for (const c of [...this.free]) c.destroy();
    if (this.all.size === 0 && this.queue.length === 0) this.onClosed!();
    return this.closing;
  }
}
