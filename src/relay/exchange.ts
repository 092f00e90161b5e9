/**
 * One attempt against one backend, as an undici dispatch handler: the response is a lifecycle
 * (start → data* → end | error) with a controller for pause/resume/abort. Until the first byte reaches the
 * client the attempt may still fail over; after it, a failure becomes a cut (an SSE error frame, or an
 * abortive close of a body) and a truncation event — never a retry, never a fabricated [DONE].
 */
import { reportFailure } from '../core/guard.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { aigwError, type AigwError } from '../core/errors.js';
import { timerDelay } from '../core/timer-delay.js';
import type { EventBus } from '../events/bus.js';
import type { TruncationReason, UpstreamFailure } from '../events/types.js';
import type { RequestRecord } from '../events/request-record.js';
import { backendRetryAfterMs, classifyError, statusFailsOver } from '../upstream/classify.js';
import { modelIn, noteBody, shortName } from './answer-facts.js';
import { BodyRelay, type BufferPolicy } from './body-relay.js';
import { makeScrubber, type Scrub } from '../core/scrub.js';
import type { RelayDialect } from './dialect.js';
import type { Downstream } from './downstream.js';
import { decodedHead, decodedStart, decodedTail, encodedBeyondIdentity, MAX_HEAD, PEEK_OUT, readableCoding } from './encoded-peek.js';
import { downstreamHeaders } from './headers.js';
import { ErrorHead, isJsonBlank, Verdict } from './error-head.js';
import { FirstEventEnd, leadingEvent, PREAMBLE } from './first-event.js';
import { isOpenAiErrorEvent, SseRelay } from './sse-relay.js';
import type { StreamRelay } from './stream-relay.js';
import { TranslatedBodyRelay } from './translated-body-relay.js';
import { TranslatedSseRelay } from './translated-sse-relay.js';
import { impliedStatus, modelNotServed, normalizeUpstreamError, pathNotServed } from './upstream-error.js';
import { recordUsage, type Usage, usageIn } from './usage-tap.js';

const COMMITTED: AttemptOutcome = Object.freeze({ kind: 'committed' });
const BROKE: AttemptOutcome = Object.freeze({ kind: 'committed', broke: true });
const REFUSED: AttemptOutcome = Object.freeze({ kind: 'committed', refused: true });
const ABANDONED: AttemptOutcome = Object.freeze({ kind: 'abandoned' });

export type AttemptOutcome =
  /**
   * The client got an answer (whole or cut): nothing more to try. `local`: the gateway answered it itself (a
   * count_tokens for a backend without Anthropic's API) — the backend was not asked, so its health learns nothing.
   */
  | {
      kind: 'committed';
      local?: true;
      /**
       * The backend's connection broke or went silent after the answer began (the outcome at the exchange's end, not
       * at its head): the answer was cut by the backend, a failure of its own however it began.
       */
      broke?: true;
      /**
       * The backend ended the stream with an error event of its own saying the request's fault (a 4xx) or that it is
       * busy (429): the answer says nothing of its health, as such an answer before the head says nothing.
       */
      refused?: true;
    }
  /**
   * Given up before this attempt answered anything — the client left, or the drain's deadline answered it: nothing
   * more to try, and nothing learnt of the backend (it neither answered nor failed).
   */
  | { kind: 'abandoned' }
  /** Failed before any byte reached the client. `error` is what the client gets if nothing else works. */
  | {
      kind: 'failed';
      failure: UpstreamFailure;
      /** The backend's HTTP status, when it answered one. */
      status?: number;
      error: AigwError;
      failsOver: boolean;
      retryAfterMs?: number;
      message: string;
      /** Refused by the gateway before anything went upstream (a request the backend's API cannot express). */
      local?: true;
      /**
       * No head by timeouts.firstByte after the request was written (not a connect timeout): the backend may have been
       * generating all along — for a non-streamed answer, whose head comes after its last token, as long as the
       * client asked it to (gateway/attempts.ts).
       */
      generating?: true;
      /**
       * How long the attempt waited for a connection before it was sent (gateway/attempts.ts): its head was due that
       * much sooner (the wait counts against timeouts.firstByte).
       */
      queuedMs?: number;
      /** A 404 saying the backend does not serve the model, or the path, it was sent (upstream-error.ts modelNotServed, pathNotServed). */
      modelMissing?: true;
      /**
       * The 404 or 405 said the path (pathNotServed): the backend's URL and the endpoint the client asked for — failed
       * over, never counted toward the backend's health (gateway/attempts.ts modelOnly).
       */
      pathMissing?: true;
    };

const MAX_ERROR_BODY = 64 * 1024;
/**
 * How long an error answer's body may take. Its bytes are only read for the message; a 503 whose body trickled
 * on (or never ended) held the request, its slot and its connection, and its fallback was never tried.
 */
const ERROR_BODY_MS = 5_000;
/** How long a backend may take to end its stream once it sent the end marker. */
const AFTER_DONE_MS = 1_000;
/**
 * How long after a request is written the close of a reused connection may still be the keep-alive race: the backend's
 * close of a connection it kept idle crosses the request, and comes back within a round trip. A close later than this
 * came from a backend that had read the request and worked on it — one that crashed mid-generation, a proxy in front
 * of it that cut it at its own idle timeout: retried on the same target, that backend was sent the request again.
 */
const KEEP_ALIVE_RACE_MS = 1_000;
const NO_HEADERS: IncomingHttpHeaders = Object.freeze({});
const NO_BYTES = Buffer.alloc(0);
const NO_SCRUB: Scrub = makeScrubber([]);
/** A body's model and id are in its first few hundred bytes; its finish reasons and usage in its last (tail window). */
const HEAD_BYTES = 1024;
/** A compressed body's decoded last bytes read for its usage: a plain body's tail window (usage-tap.ts TailWindow). */
const TAIL_BYTES = 4096;
/** With captureContent, this much of a body goes into its span. */
const SAMPLE_BYTES = 16 * 1024;

/** What a relay needs from the profile: one object per runtime, shared by its requests. */
export interface RelayPolicy {
  buffer: BufferPolicy;
  /** One SSE event larger than this ends the stream with upstream_stream_error. */
  maxEventBytes: number;
  /** Removes configured secrets from a backend's error text. */
  scrub: Scrub;
  /** Per backend, changes a text that holds what it was sent as credentials (such a response header is not relayed). */
  credentials: ReadonlyMap<string, Scrub>;
  /** timeouts.firstByte: also bounds a backend that answers 1xx after 1xx, whatever the pool's own head deadline does at each. */
  firstByteMs: number;
}

/** `translated`: a non-streamed answer held whole to be translated for a client of the other API. */
type Mode = 'pending' | 'error-body' | 'sse' | 'body' | 'translated' | 'done';

/**
 * A non-streamed answer's usage that says 0 completion tokens is no count of its output, as a stream's 0 after events
 * that carried output is not (recordStreamUsage): taken as it came, a backend's 0 beside ~2,000 tokens of content made
 * the answer free, and a tenant on such a backend had only to leave `stream` out. Its body is counted instead (settle
 * stage); an answer that truly generated nothing counts 0 there too.
 */
const noOutputCount = (u: Usage): boolean => u.completion === 0 && !u.completionUnread;

/**
 * Whether a transfer-encoding names a coding llhttp does not undo: it takes chunks apart and nothing else, so a body in
 * `gzip, chunked` reached the relay (and the client) as the compressed bytes. `identity` changes nothing.
 */
function codedBeyondChunked(value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  for (const v of typeof value === 'string' ? [value] : value)
    for (const coding of v.split(',')) {
      const c = coding.trim().toLowerCase();
      if (c !== '' && c !== 'chunked' && c !== 'identity') return true;
    }
  return false;
}

/**
 * Whether an error a backend sent mid-stream, meaning `status`, is the backend's failure: a server fault or refused
 * credentials, as counted before the head — not a 429 (busy, not broken) nor another 4xx (the request's).
 */
const backendFault = (status: number | undefined): boolean => status !== undefined && status !== 429 && statusFailsOver(status);

/** The first byte of a first name an error object's could be (`e`rror, `o`bject, `t`ype, or an escape). */
const mayNameError = (b: number | undefined): boolean => b === 0x65 || b === 0x6f || b === 0x74 || b === 0x5c;

/**
 * A body framed by the close that stopped inside its JSON, as the pool names a body cut short of its length (llhttp's
 * code for a close in the middle of a message): a bad response, another target may answer.
 */
const cutAtClose = (): Error =>
  Object.assign(new Error("bad response: the connection closed inside the answer's JSON"), { code: 'HPE_INVALID_EOF_STATE' });

/**
 * A connection the gateway's own host refused (upstream/classify.ts LOCAL_RESOURCES): the gateway's overload, to be
 * retried shortly — not the backend's failure, which a 502 naming it said.
 */
function outOfResources(backend: string, code: string | undefined): AigwError {
  const what = code === 'EMFILE' || code === 'ENFILE' ? 'file descriptors' : 'socket memory';
  return aigwError('overloaded', `the gateway is out of ${what} (${code}) and could not connect to backend ${backend}; retry shortly`, {
    headers: { 'retry-after': '1' },
  });
}

/** Whether every byte is JSON whitespace (a stream's first read that says nothing yet of what follows). */
function allBlank(chunk: Buffer): boolean {
  for (let i = 0; i < chunk.length; i++) if (!isJsonBlank(chunk[i])) return false;
  return true;
}

/** Whether `chunk` is line ends alone (CR, LF): SSE's blank lines, which begin no event. */
function lineEndsOnly(chunk: Buffer): boolean {
  for (let i = 0; i < chunk.length; i++) if (chunk[i] !== 0x0a && chunk[i] !== 0x0d) return false;
  return true;
}

export class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private mode: Mode = 'pending';
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private errorBody: Buffer[] = [];
  /** A 2xx answer's first bytes, held until they tell whether a stream begins, or (compressed) whether it is an error. */
  private head: Buffer | undefined;
  /** A plain 2xx body's first bytes, read until they tell whether it is an error object (error-head.ts). */
  private scan: ErrorHead | undefined;
  /** A 2xx body's first bytes have told it is not an error object: the rest goes on as it comes. */
  private told = false;
  /** A 2xx body's coding, when the backend compressed it anyway and aigw can read it back (encoded-peek.ts). */
  private coding: string | undefined;
  /** How long the held start of a compressed body was when it was last read back (tellCoded). */
  private triedHead = 0;
  /** The body's first bytes are not in the coding its label names: read as plain, but no answer a client decodes. */
  private mislabelled = false;
  /** Where a stream's first event ends, read as its first bytes come (held until it ends, within MAX_HEAD). */
  private firstEnd: FirstEventEnd | undefined;
  private errorBytes = 0;
  /** Only off the usual path: a 1xx answer's first-byte deadline, an error body's deadline. */
  private deadline: NodeJS.Timeout | undefined;
  private sse: StreamRelay | undefined;
  private body: BodyRelay | undefined;
  private translated: TranslatedBodyRelay | undefined;
  private readonly record: RequestRecord;
  /** This exchange wrote the client's head (committed). */
  private began = false;
  /** Given up by the drain's deadline before it began: a connection the pool assigns it later is not used. */
  private stopped = false;
  /** The request's bytes were handed to the socket (the backend may be working on it). */
  private sent = false;
  /** ... on a connection that waited idle in the pool before (the only kind the keep-alive race closes under a request). */
  private reused = false;
  /** performance.now() when the request's bytes were handed to the socket. */
  private sentAt = 0;
  /** The backend began an answer (a byte of it was read, its head perhaps not whole): it had read the request. */
  private heard = false;
  private resolve!: (o: AttemptOutcome) => void;
  /**
   * What the attempt loop waits for: failed (another target may answer), or committed — as soon as the head is
   * written, not when the answer ends, so that nothing waits on it for as long as a stream lasts.
   */
  readonly outcome: Promise<AttemptOutcome>;
  /** Called once when the exchange is over (its connection is free), with its final outcome. */
  onEnd: ((o: AttemptOutcome) => void) | undefined;
  /**
   * Called once at this attempt's first byte: a stream's first token, a body's response headers. Set when a
   * routing strategy learns from latency; unset, nothing more is measured.
   */
  onFirstByte: (() => void) | undefined;

  constructor(
    private readonly out: Downstream,
    private readonly bus: EventBus,
    private readonly backend: string,
    private readonly relay: RelayPolicy,
    /** aigw asked upstream for include_usage on the client's behalf: hold the usage chunk back. */
    private readonly dropUsageChunk: boolean,
    /** When the client or the backend does not speak OpenAI's API (relay/dialect.ts); undefined: OpenAI bytes pass. */
    private readonly dialect?: RelayDialect,
  ) {
    this.record = out.record;
    this.outcome = new Promise((r) => (this.resolve = r));
  }

  /** The head went to the client: no other attempt will follow (Downstream's onCommit). */
  committed(): void {
    this.began = true;
    this.resolve(COMMITTED);
  }

  private end(o: AttemptOutcome): void {
    if (this.deadline) this.clearDeadline();
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    try {
      onEnd?.(o);
    } catch (e) {
      // Bookkeeping of an attempt that is over: nothing is left to answer, and the pool must not see the throw.
      reportFailure(e);
    }
    this.resolve(o);
  }

  /**
   * The drain's deadline passed with this answer under way (gateway/server.ts): a stream the client is reading
   * ends with the error frame, as any stream aigw cannot finish — never a silent cut; one not begun is given up
   * (the caller answers the client). A body flowing is left to its connection's cut.
   */
  shutDown(error: AigwError): void {
    if (!this.began) {
      this.stopped = true;
      return this.abort();
    }
    if (this.mode === 'sse') {
      // Whole already (its end marker went out; the backend had not closed): it ends as it would have.
      if (this.sse!.sawDone) {
        this.clearDeadline();
        return this.endAfterDone();
      }
      this.record.errorType = error.code;
      this.recordStreamUsage();
      this.truncation('shutdown', undefined);
      this.out.end(this.sse!.errorFrame(error));
    } else if (this.mode === 'body') {
      // A body has no in-band error: it is cut, and recorded as the gateway's cut rather than the client's leaving.
      this.record.errorType = error.code;
      this.recordCutBody();
      this.truncation('shutdown', this.body?.expected);
      this.out.destroy();
    } else return;
    this.done();
    this.abort();
  }

  /** Aborts the upstream request (the client left). */
  abort(): void {
    this.controller?.abort(Object.assign(new Error('client went away'), { code: 'AIGW_CLIENT_GONE' }));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.record.clientGone || this.stopped) this.abort();
  }

  /** The request's bytes went to the backend (h1-pool's H1Handler): from here it may be working on it. */
  onRequestSent(reused = false): void {
    this.sent = true;
    this.reused = reused;
    this.sentAt = performance.now();
  }

  /** The answer's first bytes were read (h1-pool's H1Handler): a reset from here on is no keep-alive race. */
  onResponseBytes(): void {
    this.heard = true;
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.controller = controller;
    // A pool's controller may keep the raw header buffers (undici's: views into the read that brought them) for as long as the
    // answer lasts; `headers` holds what is read of them. Dropped, a held stream keeps ~1 KiB less.
    controller.rawHeaders = null;
    if (status < 200) {
      // The backend has taken the request: a reset after this is no keep-alive race (onResponseError).
      this.status = status;
      // Bounded here whatever the pool does at a 1xx (undici restarted its headersTimeout at each: `102 Processing`
      // every half second never timed out).
      if (this.relay.firstByteMs > 0)
        this.deadline ??= setTimeout(
          () => this.timedOut('UND_ERR_HEADERS_TIMEOUT', 'no final answer after 1xx answers'),
          timerDelay(this.relay.firstByteMs),
        ).unref();
      return;
    }
    if (this.deadline) this.clearDeadline();
    this.status = status;
    this.headers = headers;
    if (status >= 300) {
      this.mode = 'error-body';
      this.deadline = setTimeout(() => this.endErrorBody(), ERROR_BODY_MS).unref();
      return;
    }
    // aigw sends no TE, so a transfer coding beyond chunked was never asked for: left on the bytes by llhttp, it went out
    // as a 200 labelled JSON (or an event stream) that no client decodes, and an error object in it — a secret too — was
    // neither read as the error it is nor scrubbed.
    if (codedBeyondChunked(headers['transfer-encoding'])) {
      const shown = this.relay.scrub(String(headers['transfer-encoding'])).slice(0, 40);
      return this.failUnreadable(`an answer in transfer coding ${shown} cannot be read`);
    }
    const ct = headers['content-type'];
    const translating = this.dialect?.answer !== undefined;
    const encoded = encodedBeyondIdentity(headers['content-encoding']);
    if (translating && encoded) {
      return this.failUnreadable(`an answer encoded as ${this.codingShown(headers)} cannot be translated`);
    }
    // A stream request's answer is read as a stream whatever it is labelled (some servers send none, or JSON's).
    // Whether it is one, its first bytes say (beginStream).
    if (this.record.stream || (typeof ct === 'string' && ct.startsWith('text/event-stream'))) {
      // A stream to a request that asked for none (a backend that always streams) is no answer its client reads: the
      // SDKs parse the body as JSON (openai-node handed back the event text as a string). Nothing has gone out, so
      // another target may answer — as a whole JSON answer to a stream request does (beginStream).
      if (!this.record.stream) return this.failUnreadable('an answer without a stream was asked for, the answer is a stream');
      // aigw asks for identity; a stream compressed anyway forms no event it can read, and went out labelled gzip
      // with aigw's plain error frame after its head.
      if (encoded) return this.failUnreadable(`a stream encoded as ${this.codingShown(headers)} cannot be relayed`);
      this.openStream();
    } else if (translating) {
      this.mode = 'translated';
      this.onFirstByte?.();
      this.translated = new TranslatedBodyRelay(
        this.out,
        this.relay.buffer.maxBytes,
        status,
        headers,
        (json, text) => this.dialect!.answer!(json, this.relay.scrub, text),
        this.credentials(),
      );
      if (this.translated.overflowsUpFront()) return this.failTooLarge();
    } else {
      this.mode = 'body';
      this.onFirstByte?.();
      if (encoded) {
        this.coding = readableCoding(headers['content-encoding']);
        // aigw asks for identity: a coding it cannot read back (a list, zstd) could carry an error object past it.
        if (this.coding === undefined) {
          return this.failUnreadable(`an answer encoded as ${this.codingShown(headers)} cannot be read back`);
        }
      }
      this.body = new BodyRelay(this.out, this.relay.buffer, status, headers, this.credentials());
      if (this.body.overflowsUpFront()) this.finishBody(this.body.overflow());
    }
    this.out.attach(controller);
  }

  /**
   * A 2xx body's first bytes, until they tell whether it is an error object: the bytes that go on as an answer (the
   * first of them given back to the body here), or undefined (held, or read as an error).
   */
  private tell(chunk: Buffer): Buffer | undefined {
    if (this.coding !== undefined) return this.tellCoded(chunk);
    // The usual answer, `{"id"…`, told from its first read with nothing made.
    if (!this.scan && chunk[0] === 0x7b && chunk[1] === 0x22 && chunk.length > 2 && !mayNameError(chunk[2])) {
      if (this.mislabelled) return this.failMislabelled();
      this.told = true;
      return chunk;
    }
    const scan = (this.scan ??= new ErrorHead());
    const verdict = scan.feed(chunk);
    if (verdict === Verdict.Undecided) return undefined;
    return this.afterTelling(scan, verdict, chunk.subarray(scan.at));
  }

  /** What the scan told: an error read as one, or the bytes it read given back and the rest of the read to go on. */
  private afterTelling(scan: ErrorHead, verdict: Verdict, rest: Buffer): Buffer | undefined {
    this.scan = undefined;
    if (verdict === Verdict.Error) {
      this.readErrorAnswer(rest.length === 0 ? scan.compact() : Buffer.concat([scan.compact(), rest]));
      return undefined;
    }
    if (this.mislabelled) return this.failMislabelled();
    if (this.failedAsNotJson(scan.first)) return undefined;
    this.told = true;
    const early = scan.giveBack((piece) => this.body!.push(piece));
    if (early) {
      this.finishBody(early);
      return undefined;
    }
    return rest;
  }

  /**
   * Every answer of the APIs aigw serves is JSON: a body that opens otherwise (a web app's page for any path — a
   * backend URL at a UI, not its API —, a proxy's login page) is none. Passed on as a 200, each client's SDK failed to
   * parse it while the backend's health counted a success, and it was never ejected. `first`: the body's first byte
   * past a byte-order mark and whitespace (ErrorHead.first), read from the decoded start of a compressed one.
   */
  private failedAsNotJson(first: number): boolean {
    if (first === 0x7b || first === 0x5b) return false;
    this.failUnreadable(`a ${this.status} answer that is not JSON`);
    return true;
  }

  /** A compressed body's first bytes, held, when it ended before they told: its whole start is all there is. */
  private tellAtEnd(head: Buffer): Buffer | undefined {
    if (head.length === 0) return head;
    const { plain } = decodedHead(head, this.coding!);
    const scan = new ErrorHead();
    scan.feed(typeof plain === 'string' ? head : plain);
    if (plain !== 'too-large' && scan.end() === Verdict.Answer) {
      if (plain === 'undecodable') return this.failMislabelled();
      if (this.failedAsNotJson(scan.first)) return undefined;
      this.told = true;
      return head;
    }
    this.readErrorAnswer(head);
    return undefined;
  }

  /**
   * A compressed 2xx body's first bytes, told as they decode (its first MAX_HEAD bytes, held until they tell). Bytes
   * that do not decode are read as a plain body (a plain error labelled gzip is still one). First bytes that decode
   * to more than PEEK_OUT, or that do not tell within MAX_HEAD, are taken for an error: whitespace compressed away
   * cannot be read on without a decoder on the hot path, and no answer starts so.
   */
  private tellCoded(chunk: Buffer): Buffer | undefined {
    const head = this.head ? this.taken(chunk) : chunk;
    // Read back again only once the held start has doubled since the last try: a start trickled a byte a read is
    // decoded a dozen times, not once a byte (a 4 KiB start in 1-byte chunks held the loop ~0.4 s a request).
    if (head.length < 2 * this.triedHead && head.length < MAX_HEAD) {
      this.head = head;
      return undefined;
    }
    this.triedHead = head.length;
    const { plain, cut } = decodedHead(head, this.coding!);
    if (plain === 'undecodable') {
      this.coding = undefined;
      this.mislabelled = true;
      return this.tell(head);
    }
    let verdict = Verdict.Error;
    let first = -1;
    if (typeof plain !== 'string') {
      const scan = new ErrorHead();
      verdict = scan.feed(plain);
      first = scan.first;
      if (verdict === Verdict.Undecided && !cut && head.length < MAX_HEAD && plain.length < PEEK_OUT) {
        this.head = head;
        return undefined;
      }
    }
    if (verdict === Verdict.Answer) {
      // Compressed (nginx's `gzip on` in front of a UI), a page is no more an answer than a plain one.
      if (this.failedAsNotJson(first)) return undefined;
      this.told = true;
      return head;
    }
    this.readErrorAnswer(head);
    return undefined;
  }

  /**
   * A 2xx whose body is an error object (`{"error": …}`, as some backends and proxies answer): not an answer. Its
   * text may echo a configured secret, and passed through it was neither scrubbed nor counted as a failure: it is
   * read as an error answer is, and the attempt fails (another target may answer).
   */
  private readErrorAnswer(chunk: Buffer): void {
    this.body = undefined;
    this.mode = 'error-body';
    this.deadline = setTimeout(() => this.endErrorBody(), ERROR_BODY_MS).unref();
    this.onResponseData(this.controller!, chunk);
  }

  /** The relay of a 2xx stream. */
  private openStream(): void {
    this.mode = 'sse';
    const onFirst = () => {
      this.record.ttftMs = performance.now() - this.record.startedAt;
      this.onFirstByte?.();
    };
    this.sse = this.dialect
      ? this.dialect.streamRelay(this.out, onFirst, this.relay.maxEventBytes, this.relay.scrub)
      : new SseRelay(this.out, this.dropUsageChunk, onFirst, this.relay.maxEventBytes, this.relay.scrub);
  }

  /**
   * Whether the stream may begin at its first bytes (true: the caller writes its head) — not when they are a whole JSON
   * answer (a backend that ignored `stream`, whatever its content-type says): relayed, it would go out as JSON with an
   * error frame after it, a stream that never began. Nothing has reached the client, so the attempt fails and another
   * target may answer.
   */
  private beginStream(chunk: Buffer): boolean {
    let i = 0;
    // A byte-order mark first (a server writing UTF-8 with a signature): what opens after it is what a client reads, and
    // what the error check reads (error-head.ts). Looked past, a refusal `\uFEFF{"error": …}` was taken for a stream that
    // never began — a client's 400 became the backend's 502, tried on every target. Its first bytes alone are waited on.
    if (chunk[0] === 0xef) {
      if (chunk.length < 3 && (chunk.length === 1 || chunk[1] === 0xbb)) {
        this.head = chunk;
        return false;
      }
      if (chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    const bom = i;
    while (i < chunk.length && isJsonBlank(chunk[i])) i++;
    if (chunk[i] === 0x7b || chunk[i] === 0x5b) {
      // The deadline of spaces held before it (an event begun, as SSE reads them) is not the error body's.
      if (this.deadline) this.clearDeadline();
      // Read as JSON is, without the mark (JSON.parse reads none): the status it means, its message scrubbed.
      if (bom > 0) chunk = chunk.subarray(bom);
      // Unless it is the backend's error object (a proxy's 200 with `{"error": …}`, `{"type": "error", …}`): read as a 2xx
      // error body is, judged by the status it means — a client's mistake is told with its status and message, not as
      // the backend's unreadable answer tried on every target and counted as each one's failure.
      if (new ErrorHead().feed(chunk) === Verdict.Error) this.readErrorAnswer(chunk);
      else this.failUnreadable('a stream was asked for, the answer is JSON');
      return false;
    }
    // The first event (past a preamble) is read before the head: an error there fails over (relay/first-event.ts).
    // The head waits for it while what came fits MAX_HEAD; a first event that came whole is read whatever the size of
    // the read it came in (one of 4 KiB or more — a long error message, more events behind it — went out unread).
    const ends = (this.firstEnd ??= new FirstEventEnd());
    for (;;) {
      const end = ends.in(chunk);
      if (end < 0) {
        if (chunk.length >= MAX_HEAD) break;
        this.head = chunk;
        // An event begun is due whole by a deadline (awaitFirstEvent); a quiet spell after a whole one (a prefill after
        // Anthropic's message_start) or blank lines alone are the idle timeout's, as before.
        if (ends.begun) this.awaitFirstEvent();
        return false;
      }
      const dialect = this.dialect;
      const lead = leadingEvent(chunk.subarray(ends.start, end), dialect?.errorEvent ?? isOpenAiErrorEvent, dialect?.preamble);
      if (lead !== PREAMBLE) {
        if (lead === undefined) break;
        this.failFirstEvent(lead.length > MAX_ERROR_BODY ? lead.slice(0, MAX_ERROR_BODY) : lead);
        return false;
      }
      // A preamble is read past within MAX_HEAD, as it is waited for: a read of 64 KiB of pings is not decoded a ping
      // at a time.
      if (end >= MAX_HEAD) break;
      ends.next(end);
      // A whole event read past is the backend's progress (Anthropic's pings through a long wait): the next one, once
      // begun, is given its own deadline (awaitFirstEvent).
      if (this.deadline) this.clearDeadline();
    }
    this.firstEnd = undefined;
    return true;
  }

  /**
   * A translated stream's first read, translated before the client's head is written (what it makes is held until
   * then). The translation may refuse it — an event it cannot read, a backend that gave up on its answer, the backend's
   * error event after an opening that said nothing — and until the answer's content began nothing of it is the client's:
   * the attempt fails as that answer before the head would have (another target may answer). Written at once, the
   * head was a 200 whose stream held only the error, and the attempt was the client's answer: a backend whose every
   * stream began with an event it garbled was never failed over, and never counted as failing.
   */
  private translateFirst(s: TranslatedSseRelay, chunk: Buffer): void {
    s.hold();
    const fits = s.push(chunk);
    if (s.failed && !s.began) {
      const data = s.failedData;
      // The backend's own error event is read as an error answer is, by the status it means.
      if (data !== undefined) return this.failFirstEvent(data.length > MAX_ERROR_BODY ? data.slice(0, MAX_ERROR_BODY) : data);
      return this.failUnreadable(s.failed.message);
    }
    this.startStream();
    s.release();
    // node:http sends a head with the first bytes of body: a first read that made nothing for the client (Azure's
    // prompt_filter_results chunk) left the committed head unsent until the answer's first words.
    this.out.flushHead();
    this.relayed(fits);
  }

  /**
   * A stream whose first event is the backend's error: nothing reached the client, so it is read as a 2xx whose body
   * is that error — judged by the status it means (an overloaded backend's fails over, a client's mistake is told
   * with its status) rather than sent as a stream that is only an error.
   */
  private failFirstEvent(data: string): void {
    // At most MAX_ERROR_BODY characters (the caller's cut): what an error answer's body is read to.
    this.errorBody.push(Buffer.from(data));
    this.mode = 'error-body';
    this.failWithStatus();
    this.abort();
  }

  /** What a stream's push left to do: `fits`, false when an event it left incomplete grew past maxEventBytes. */
  private relayed(fits: boolean): void {
    if (!fits) {
      // After the end marker the answer is whole, and what grew too large is only what the backend said after it:
      // ended as the grace after the marker ends it. Cut as too large, an Anthropic client got an error event after
      // message_stop (its SDK throws the finished answer away) and the whole answer was recorded as a cut stream.
      if (this.sse!.sawDone) {
        this.clearDeadline();
        return this.endAfterDone();
      }
      this.sse!.dropHeld();
      const error = aigwError(
        'upstream_stream_error',
        `backend ${this.backend} sent an event larger than ${this.relay.maxEventBytes} bytes`,
      );
      this.cutStream('event_too_large', error);
      this.abort();
    } else if (this.sse!.failed) {
      // The backend's own error event (or one that cannot be read) ended the stream: the client has its frame. A
      // server fault it says is the backend's failure, as that error answered before the head would have been:
      // read as an answer, a backend answering every stream with one at once was never ejected, and under
      // strategy latency (no first token, so no estimate; no requests in flight) it cost nothing and took them all.
      const status = this.sse!.failedStatus;
      // The request's own fault (a 4xx, not a busy 429): no more the backend's error in the stats than before the head.
      if (status !== undefined && status >= 400 && status < 500 && status !== 429 && !backendFault(status)) this.record.excused = true;
      this.cutStream('upstream_reset', this.sse!.failed, backendFault(status) ? BROKE : status !== undefined ? REFUSED : COMMITTED);
      this.abort();
    } else if (this.sse!.sawDone && this.sse!.endedEarly && this.deadline === undefined) {
      // The translation ended the answer itself (a stop sequence the backend was not sent): nothing after is awaited.
      this.endAfterDone();
    } else if (this.sse!.sawDone && this.deadline === undefined) {
      // The end marker ends the answer. A backend that talked on after it (a comment each second) held the
      // client, whose SDK reads to the end, and the tenant's lease: it gets a moment to end cleanly (its
      // connection is kept), then the answer is ended for it.
      this.deadline = setTimeout(() => this.endAfterDone(), AFTER_DONE_MS).unref();
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    switch (this.mode) {
      case 'error-body':
        this.errorBody.push(chunk);
        this.errorBytes += chunk.length;
        // Enough to say what went wrong: the rest is not waited for (a body that never ended held the request).
        if (this.errorBytes >= MAX_ERROR_BODY) this.endErrorBody();
        return;
      case 'sse':
        if (!this.out.headersSent) {
          if (this.head) chunk = this.taken(chunk);
          // Blank lines first say nothing of what follows (an error object as JSON, or events): held until they do.
          if (chunk.length <= MAX_HEAD && allBlank(chunk)) {
            this.head = chunk;
            // But only line ends are SSE's blank lines: a space or a tab begins a line, an event begun (beginStream),
            // due whole by the deadline as any other. Held as blank lines, spaces trickled a byte a read inside the
            // idle timeout held the client with no head for 4 KiB of reads (~67 hours at the defaults).
            if (!lineEndsOnly(chunk)) this.awaitFirstEvent();
            return;
          }
          if (!this.beginStream(chunk)) return;
          // The first event read: the client's head goes out now, and no deadline of the wait for it is left.
          if (this.deadline) this.clearDeadline();
          if (this.sse instanceof TranslatedSseRelay) return this.translateFirst(this.sse, chunk);
          this.startStream();
        }
        return this.relayed(this.sse!.push(chunk));
      case 'translated':
        if (!this.translated!.push(chunk)) this.failTooLarge();
        return;
      case 'body': {
        if (!this.told) {
          const rest = this.tell(chunk);
          if (rest === undefined || rest.length === 0) return;
          chunk = rest;
        }
        const early = this.body!.push(chunk);
        if (early) this.finishBody(early);
        return;
      }
      default:
    }
  }

  /**
   * A stream's first event begun, the client's head waiting on it (beginStream): it is due whole within
   * timeouts.firstByte of its first bytes, as the backend's own head is due by a deadline, not after a quiet spell.
   * Bounded by the idle timeout between reads alone, a backend trickling it a byte at a time (each inside the idle
   * timeout) held the client with no head at all — 4 KiB at a byte a read: ~67 hours at the defaults — and no other
   * target was tried. Past it the attempt times out as a late head does: nothing reached the client, another target
   * may answer. Not before an event begins: a backend may prefill in silence after a whole preamble event.
   */
  private awaitFirstEvent(): void {
    if (this.deadline || this.relay.firstByteMs <= 0) return;
    this.deadline = setTimeout(
      () => this.timedOut('UND_ERR_HEADERS_TIMEOUT', 'no whole first event by the first-byte deadline'),
      timerDelay(this.relay.firstByteMs),
    ).unref();
  }

  /** The held first bytes, then `chunk`; nothing held after. */
  private taken(chunk: Buffer): Buffer {
    const all = chunk.length === 0 ? this.head! : Buffer.concat([this.head!, chunk]);
    this.head = undefined;
    return all;
  }

  onResponseEnd(): void {
    if (this.mode === 'body' && !this.told) {
      // Not a byte came (a 204, a content-length of 0, the close right after the head): no endpoint aigw serves
      // answers so. Passed on, the client had a 2xx with nothing in it, and the backend's health a success.
      if (!this.scan && !this.head) return this.failEmptyBody();
      // The body ended before its first bytes told: what came is all there is to tell from.
      const scan = this.scan;
      const head = this.head ? this.taken(NO_BYTES) : NO_BYTES;
      const rest = scan ? this.afterTelling(scan, scan.end(), NO_BYTES) : this.tellAtEnd(head);
      // Refused as no answer (not JSON, mislabelled): the attempt has failed already.
      if ((this.mode as Mode) === 'done') return;
      if (this.mode === 'body') {
        // Undefined: the bytes given back finished the body (an overflow).
        if (rest === undefined) return;
        const early = rest.length > 0 ? this.body!.push(rest) : undefined;
        if (early) return this.finishBody(early);
      }
    } else if (this.head) {
      // A stream's held first bytes are blank lines, a preamble (Anthropic's message_start: no answer yet), or a first
      // event the backend never ended: a client's reader drops an event the stream ends inside, so they carry nothing
      // (the stream ended before its first event).
      this.head = undefined;
    }
    if (this.mode === 'error-body') return this.failWithStatus();
    if (this.mode === 'sse') {
      const s = this.sse!;
      if (!this.out.headersSent && s.outputEvents === 0 && !s.sawDone && !s.holding) return this.failEmptyStream();
      if (!this.out.headersSent) this.startStream();
      s.flushHeld(!s.sawDone);
      if (!s.sawDone) {
        // A clean end without [DONE] is still a cut: say so, rather than let a client take it for a whole answer. And it
        // is the backend's failure as a reset is (a FIN where the other sent an RST): read as an answer, a backend that
        // ended every stream after its first event was never ejected, and its quick first events won it the traffic of
        // strategy latency.
        return this.cutStream(
          'incomplete_stream',
          aigwError(
            'upstream_stream_error',
            `backend ${this.backend} ended the stream before its end marker: the answer may be incomplete`,
          ),
          BROKE,
        );
      }
      this.recordStreamUsage();
      this.out.end();
    } else if (this.mode === 'translated') {
      const answer = this.translated!.end();
      if (!answer.ok && !('written' in answer) && this.translated!.isErrorObject()) {
        // The backend's error object in a 2xx (an Anthropic-speaking proxy's `{"type": "error", …}`, OpenRouter's
        // `{"error": …}`): judged by the status it means, as when its bytes pass through. Read as an answer that cannot
        // be translated, a client's own mistake (a prompt too long) was a 502 without the backend's reason, tried on
        // every target and counted as each one's failure: two such requests ejected a healthy backend.
        this.errorBody.push(this.translated!.upstreamBody().subarray(0, MAX_ERROR_BODY));
        this.mode = 'error-body';
        return this.failWithStatus();
      }
      if (!answer.ok) {
        // A whole 2xx whose content the translation refuses was generated all the same (a prompt can steer a model
        // into arguments that are not a JSON object): charged, as one refused for its size is — unless another
        // attempt answers. (A backend's own faults — an encoding, JSON where a stream was asked — cost nothing.)
        this.record.workedUnmetered = true;
        return 'written' in answer ? this.failWritten(answer.error.message) : this.failUnreadable(answer.error.message);
      }
      this.recordTranslatedUsage(answer.value.usage, answer.value.model);
    } else if (this.mode === 'body') {
      // Framed by the close alone, and the close came inside its JSON: a cut (a backend that died mid-answer, a TLS
      // connection cut without its close_notify), told as a body cut short of its length is — never ended cleanly.
      if (this.body!.cutAtClose()) return this.onResponseError(this.controller!, cutAtClose());
      this.body!.end();
      this.recordBodyUsage();
    }
    this.done();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.mode === 'done') return;
    // Gone, or given up by the drain's deadline before it began (the client has its 503).
    if ((err as { code?: string }).code === 'AIGW_CLIENT_GONE' || this.record.clientGone || this.stopped) {
      // Its end marker went out (the backend had not ended its body yet): the answer is whole whoever closed first —
      // openai-python closes the response at `[DONE]`. Taken for a client that left early, it was counted an abort
      // (its event, aigw_client_aborts_total, the GenAI error type) and no latency sample.
      if (this.mode === 'sse' && this.sse!.sawDone) this.record.clientGone = false;
      if (this.sse) this.recordStreamUsage();
      else this.recordCutBody();
      // The backend's own refusal (an error answer being read) did no work to charge for.
      if (!this.began && this.sent && !this.stopped && this.mode !== 'error-body') this.record.workedUnmetered = true;
      // A non-streamed 2xx is generated whole before its head (a server answers once its generation is over): left
      // half-read, it is charged as one the buffer cut is (finishBody), at least what it reserved. Charged for the
      // bytes that came before the client left, a 90,000-token answer cost its tenant ~13,000.
      if (this.began && this.mode === 'body' && this.status >= 200 && this.status < 300) this.record.workedUnmetered = true;
      this.mode = 'done';
      return this.end(this.began ? COMMITTED : ABANDONED);
    }
    // Whole already: its end marker went out, then the connection broke before the body's own end. It ends as it
    // would have — an error frame after [DONE] or message_stop made the Anthropic SDK throw away a finished answer.
    if (this.mode === 'sse' && this.sse!.sawDone) {
      this.clearDeadline();
      return this.endAfterDone();
    }
    // A refusal whose body the backend cut (closed or reset short of its length): its status said what the answer is,
    // and what came of its body is its message. Read as an unreadable answer, a 400 was the backend's failure — the
    // same bad request went on to every other target, each refusal counted toward its backend's ejection, and the
    // client got a 502.
    if (this.mode === 'error-body') return this.failWithStatus();
    let failure = classifyError(err);
    // A reset after the status line is not the keep-alive race the quick retry on the same target is for: the
    // backend had taken the request, and retrying it there sent it twice. Another target may still answer. Nor is the
    // close, once the request was written, of a connection opened for it: the backend kept it idle for no time, it
    // accepted it and read the request (a backend that dropped it mid-generation got it twice). Nor is a reused
    // connection's close that came long after the write (KEEP_ALIVE_RACE_MS). Nor a reset after the answer began, its
    // head not yet whole (a status line, some headers): the backend had read the request, and got it twice.
    const raced = this.reused && !this.heard && performance.now() - this.sentAt <= KEEP_ALIVE_RACE_MS;
    if (failure === 'connect_error' && (this.status !== 0 || (this.sent && !raced))) failure = 'bad_response';
    if (!this.out.headersSent) {
      // Nothing reached the client: this attempt may fail over. No head by the deadline after the request was written
      // (a connect timeout is not this code): the backend was generating, and a client choosing a max_tokens that
      // outlasts the deadline chose that outcome, so the work is charged.
      const generating = (err as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT' && this.sent;
      if (generating) this.record.workedUnmetered = true;
      const message = `${failure}: ${(err as { code?: string }).code ?? err.message}`;
      const error =
        failure === 'timeout'
          ? aigwError('upstream_timeout', `backend ${this.backend} did not answer in time`)
          : failure === 'local_resources'
            ? outOfResources(this.backend, (err as { code?: string }).code)
            : aigwError(
                failure === 'bad_response' ? 'bad_upstream_response' : 'upstream_error',
                `backend ${this.backend} failed: ${message}`,
              );
      this.mode = 'done';
      return this.end({ kind: 'failed', failure, error, failsOver: true, message, ...(generating ? { generating: true as const } : {}) });
    }
    const idle = failure === 'idle_timeout';
    this.publishUpstreamError(idle ? 'idle_timeout' : 'stream_error', (err as { code?: string }).code ?? err.message);
    const code = idle ? 'upstream_idle_timeout' : 'upstream_stream_error';
    this.record.errorType = code;
    if (this.mode === 'sse') {
      this.recordStreamUsage();
      this.truncation(idle ? 'idle_timeout' : 'upstream_reset', undefined);
      const msg = idle ? `backend ${this.backend} went silent mid-stream` : `backend ${this.backend} broke the stream`;
      this.out.end(this.sse!.errorFrame(aigwError(code, msg)));
    } else {
      this.recordCutBody();
      this.truncation(idle ? 'idle_timeout' : 'upstream_reset', this.body?.expected);
      this.out.destroy();
    }
    this.mode = 'done';
    this.end(BROKE);
  }

  /**
   * Ends a stream that broke after bytes went out: usage so far, a truncation event, one error frame, no [DONE].
   * `outcome` BROKE when the backend cut it (its health counts the answer a failure).
   */
  private cutStream(reason: TruncationReason, error: AigwError, outcome: AttemptOutcome = COMMITTED): void {
    this.record.errorType = error.code;
    this.recordStreamUsage();
    this.truncation(reason, undefined);
    // A backend's own error text (an error event) may echo a configured secret.
    this.publishUpstreamError('stream_error', this.relay.scrub(error.message));
    this.out.end(this.sse!.errorFrame(error));
    this.mode = 'done';
    this.end(outcome);
  }

  /** The backend ended a stream before sending anything: nothing reached the client, so another may answer. */
  private failEmptyStream(): void {
    const message = 'bad_response: the stream ended before its first event';
    this.mode = 'done';
    this.end({
      kind: 'failed',
      failure: 'bad_response',
      error: aigwError('bad_upstream_response', `backend ${this.backend} ended the stream before its first event`),
      failsOver: true,
      message,
    });
  }

  /** A 2xx without a byte of body: nothing reached the client (its head waits for the first byte), so another may answer. */
  private failEmptyBody(): void {
    this.failBadResponse(`HTTP ${this.status} without a body`);
  }

  /**
   * The backend's content-encoding as a message quotes it: scrubbed before it is cut — cut first, a configured secret
   * it held (a proxy that reflects request headers into its answer's) was no longer whole for the scrub to find, and
   * its first characters reached the client.
   */
  private codingShown(headers: IncomingHttpHeaders): string {
    return this.relay.scrub(String(headers['content-encoding'])).slice(0, 40);
  }

  /**
   * A 2xx answer whose bytes are not in the coding its label names (a plain body labelled gzip, though aigw asked for
   * identity): read as plain to tell an error, but passed on with its label no client decodes it — refused as a coding
   * the gateway cannot read back is, before anything reached the client, and another target may answer.
   */
  private failMislabelled(): undefined {
    this.failUnreadable(`an answer labelled ${this.codingShown(this.headers)} is not in that coding`);
    return undefined;
  }

  /** A translated answer that cannot be read: nothing reached the client, so another backend may answer. */
  private failUnreadable(why: string): void {
    this.failBadResponse(this.relay.scrub(why));
    this.abort();
  }

  /** An answer that is none (`detail` says why), before anything reached the client: the attempt fails over. */
  private failBadResponse(detail: string): void {
    this.mode = 'done';
    this.end({
      kind: 'failed',
      failure: 'bad_response',
      error: aigwError('bad_upstream_response', `backend ${this.backend}: ${detail}`),
      failsOver: true,
      message: `bad_response: ${detail}`,
    });
  }

  /**
   * A whole answer refused for what the model wrote in it (translate/translated.ts WrittenRefusal): the answer to this
   * request, with the backend's 2xx status — so it neither fails over (each such request had every target of the model
   * and its fallbacks generate it again, charged once) nor counts against the backend: counted, any client's prompt
   * asking for a tool call with arguments [1] ejected a healthy backend at its third, at every target it reached.
   */
  private failWritten(why: string): void {
    this.mode = 'done';
    this.end({
      kind: 'failed',
      failure: 'bad_response',
      status: this.status,
      error: aigwError('bad_upstream_response', `backend ${this.backend}: ${this.relay.scrub(why)}`),
      failsOver: false,
      message: `bad_response: ${this.relay.scrub(why)}`,
    });
  }

  /** A translated answer over the buffer: 502 response_too_large before any byte, as a buffered body over it. */
  private failTooLarge(): void {
    this.finishBody({ kind: 'too_large' });
  }

  private startStream(): void {
    const h = downstreamHeaders(this.headers, {}, this.credentials());
    // A stream is an event stream to the client, whatever the backend labelled it.
    const ct = h['content-type'];
    if (typeof ct !== 'string' || !ct.startsWith('text/event-stream')) h['content-type'] = 'text/event-stream';
    h['cache-control'] = 'no-cache';
    h['x-accel-buffering'] = 'no';
    this.out.writeHead(this.status, h, true);
    // Nothing reads them again, and a stream lasts minutes.
    this.headers = NO_HEADERS;
  }

  private finishBody(o: ReturnType<BodyRelay['overflow']>): void {
    // A 2xx refused or cut for its size was generated whole: charged, whatever the client got of it.
    if (o.kind !== 'ok' && this.status >= 200 && this.status < 300) this.record.workedUnmetered = true;
    if (o.kind === 'too_large') {
      this.mode = 'done';
      this.end({
        kind: 'failed',
        failure: 'bad_response',
        // The same request asks for the same answer again: SDKs retry a 5xx twice, each retry a whole generation.
        error: aigwError(
          'response_too_large',
          `the answer is larger than the gateway's response buffer (${this.relay.buffer.maxBytes} bytes)`,
          { headers: { 'x-should-retry': 'false' } },
        ),
        failsOver: false,
        message: 'response_too_large',
      });
    } else if (o.kind === 'truncated') {
      // Cut on purpose (truncate, envoy): the answer was larger than the response buffer.
      this.record.errorType = 'response_too_large';
      // Envoy's 500 is plain text with no code of its own: stats and `top` name the refusal by this one.
      if (this.record.status >= 400) this.record.errorCode = 'response_too_large';
      this.recordCutBody();
      this.truncation('buffer_truncate', this.body!.expected, o.delivered);
      this.done();
    }
    this.abort();
  }

  /** The end marker went out a while ago and the backend has not ended: the answer is whole, the rest is dropped. */
  private endAfterDone(): void {
    this.deadline = undefined;
    if (this.mode !== 'sse') return;
    this.sse!.dropHeld();
    this.recordStreamUsage();
    this.out.end();
    this.done();
    this.abort();
  }

  /** What this backend was sent as credentials: all a response header of its could echo. */
  private credentials(): Scrub {
    return this.relay.credentials.get(this.backend) ?? NO_SCRUB;
  }

  /** An error answer read far enough (its bound, or its deadline): the attempt fails with it, the rest is dropped. */
  private endErrorBody(): void {
    if (this.mode !== 'error-body') return;
    this.failWithStatus();
    this.abort();
  }

  /** A deadline of the attempt's own passed: it fails as the pool's timeout of that code would make it fail. */
  private timedOut(code: string, message: string): void {
    this.deadline = undefined;
    this.controller?.abort(Object.assign(new Error(message), { code }));
  }

  private clearDeadline(): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  private failWithStatus(): void {
    const raw = Buffer.concat(this.errorBody).subarray(0, MAX_ERROR_BODY);
    // A compressed refusal read back, so its message is read and scrubbed as a plain one is.
    const coding = readableCoding(this.headers['content-encoding']);
    const body = (coding !== undefined ? decodedStart(raw, coding) : undefined) ?? raw;
    const ct = typeof this.headers['content-type'] === 'string' ? this.headers['content-type'] : undefined;
    // A 2xx that was an error object (readErrorAnswer) is judged by the status its error means.
    const status = this.status < 300 ? impliedStatus(body, ct) : this.status;
    const error = normalizeUpstreamError(status, ct, body, this.backend, this.relay.scrub);
    const ra = backendRetryAfterMs(this.headers);
    // The model, or the path, is not there: the replica's configuration, not the request (upstream-error.ts). Not
    // count_tokens' path: an API a backend may lack alone (Anthropic-compatible servers), counted, its 404s ejected the
    // backend for every generation it serves; it is passed on as before.
    const pathMissing = this.record.endpoint !== 'count_tokens' && pathNotServed(status, ct, body);
    const modelMissing = !statusFailsOver(status) && (modelNotServed(status, ct, body) || pathMissing);
    this.mode = 'done';
    this.end({
      kind: 'failed',
      failure: 'status',
      status,
      error,
      failsOver: modelMissing || statusFailsOver(status),
      ...(modelMissing ? { modelMissing: true as const } : {}),
      ...(modelMissing && pathMissing ? { pathMissing: true as const } : {}),
      ...(ra !== undefined ? { retryAfterMs: ra } : {}),
      message: this.status === status ? `HTTP ${status}` : `HTTP ${this.status}, an error meaning ${status}`,
    });
  }

  private recordStreamUsage(): void {
    const s = this.sse!;
    const usage = s.usage;
    if (usage) recordUsage(this.record, usage);
    // The backend's count covers the whole answer only once the stream ended properly. Before that — the client
    // left, the stream was cut — it is a count so far, or only the opening one (Anthropic's message_start says
    // 1 output token): output is at least what the events relayed carried (translate/output-estimate.ts), so
    // leaving just before the end does not make an answer nearly free.
    // A count of 0 after events that carried output is no count (a backend that wrote its counts as strings, or
    // left completion_tokens out, was charged nothing for 40 events): the events are the floor then too.
    // An Anthropic stream whose message_delta carried no usage has only message_start's placeholder (provisional).
    if (!usage || !s.sawDone || usage.completion === 0 || usage.provisional) {
      this.record.outputTokens = Math.max(usage?.completion ?? 0, s.outputEstimate);
      this.record.outputSource = 'estimate';
    }
    if (s.model !== undefined) this.record.responseModel = shortName(s.model);
  }

  /** A translated answer's usage; without any, its backend body is kept for counting (settle stage). */
  private recordTranslatedUsage(u: Usage | undefined, model: string): void {
    this.record.responseModel = shortName(model);
    if (u && !noOutputCount(u)) return recordUsage(this.record, u);
    const bytes = this.translated!.upstreamBody();
    this.record.unmetered = { bytes, whole: true, size: bytes.length, encoding: undefined };
    // Its prompt count stands; its output is counted from the body.
    if (u) recordUsage(this.record, { ...u, completionUnread: true });
  }

  /**
   * A body that did not end (the client left, the backend broke it, the buffer cut it) is counted as far as it came:
   * the backend generated it, and the client got at least its start. Uncounted, a client that read 30 % of a 16 MB
   * answer and left, or a `truncate` buffer's 1 MiB, was charged the prompt alone.
   */
  private recordCutBody(): void {
    // Only an answer the client began to get (an `envoy` overflow's 500 gave it nothing).
    if (this.mode === 'body' && this.body && this.record.answered) this.recordBodyUsage();
  }

  private recordBodyUsage(): void {
    const body = this.body!;
    const encoding = this.headers['content-encoding'];
    const plain = !encodedBeyondIdentity(encoding);
    const tail = body.received > 0 && plain ? body.tail.text() : undefined;
    if (tail !== undefined) this.recordBodyFacts(body, tail);
    // A body the backend compressed anyway (aigw asks for identity) carries its usage in its coded bytes: read back
    // when it is whole and small (one bounded decode), as the settle stage would decode it to count its content. Left to
    // that count, a reasoning model's 5,000 reported output tokens behind a compressing proxy were charged as its 2
    // words of content, and its prompt as the tokenizer reads it (10 of 3,000).
    const text = tail ?? this.codedTail(body, encoding);
    // Its model too (gen_ai_response_model), read where a plain body's is when it is small: the tail.
    if (tail === undefined && text !== undefined) this.record.responseModel = modelIn(text);
    const read = text !== undefined ? (this.dialect ? this.dialect.bodyUsage : usageIn)(text) : undefined;
    // A usage without a readable completion count (written as a string, left out) counts no output: the body is kept
    // to be counted, as one without usage is (charged 0, a 2,000-token answer whose count read "2000" was free). So
    // does a count of 0 (noOutputCount): an embedding's usage has none to give.
    const u = read && this.record.endpoint !== 'embeddings' && noOutputCount(read) ? { ...read, completionUnread: true as const } : read;
    if (!u || (u.completionUnread && this.record.endpoint !== 'embeddings')) {
      if (this.status >= 200 && this.status < 300 && body.received > 0) {
        const kept = body.keptBody();
        this.record.unmetered = { ...kept, size: body.received, encoding: plain ? undefined : String(encoding) };
      }
      if (!u) return;
    }
    recordUsage(this.record, u);
  }

  /** The decoded last bytes of a whole compressed body kept for counting (decodedTail), or undefined. */
  private codedTail(body: BodyRelay, encoding: string | string[] | undefined): string | undefined {
    const coding = readableCoding(encoding);
    if (coding === undefined || body.received === 0) return undefined;
    const kept = body.keptBody();
    return kept.whole ? decodedTail(kept.bytes, coding, TAIL_BYTES) : undefined;
  }

  /**
   * The answer's model — in the tail window already read for usage when the body is small (the common case) or
   * names it last (embeddings), else near its start — and a recording trace's notes.
   */
  private recordBodyFacts(body: BodyRelay, tail: string): void {
    const notes = this.record.answerNotes;
    const fromTail = modelIn(tail);
    const head = fromTail === undefined || notes !== undefined ? body.headText(HEAD_BYTES) : undefined;
    this.record.responseModel = fromTail ?? (head === undefined ? undefined : modelIn(head));
    if (notes === undefined || head === undefined) return;
    noteBody(notes, head, tail);
    if (notes.wantsSample) notes.sample(body.headText(SAMPLE_BYTES, 'utf8'));
  }

  private truncation(reason: TruncationReason, expected: number | undefined, delivered = this.record.bytesOut): void {
    this.record.truncated = true;
    if (!this.bus.active) return;
    this.bus.publish({
      type: 'truncation',
      ts: Date.now(),
      requestId: this.record.requestId,
      model: this.record.model,
      backend: this.backend,
      reason,
      stream: this.mode === 'sse',
      bytesDelivered: delivered,
      ...(expected !== undefined ? { bytesExpected: expected } : {}),
    });
  }

  private publishUpstreamError(reason: UpstreamFailure, message: string): void {
    if (!this.bus.active) return;
    this.bus.publish({
      type: 'upstream_error',
      ts: Date.now(),
      requestId: this.record.requestId,
      model: this.record.model,
      backend: this.backend,
      reason,
      message,
      retried: false,
    });
  }

  private done(): void {
    this.mode = 'done';
    this.end(COMMITTED);
  }
}
