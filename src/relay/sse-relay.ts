/**
 * Streams, passed through as they come: every complete upstream event goes to the client the moment it is
 * complete — never held for another, comments (`: ping`) included, bytes untouched. We only look: usage,
 * [DONE], output events. The usage-only chunk that aigw itself asked for is held back from a client that
 * did not ask for it. An event is held only until it is complete, and at most `maxEventBytes`: a larger one
 * ends the stream (the caller cuts it) instead of growing memory without bound.
 *
 * OpenAI's own streams take a fast path: the complete events of a read go out in one write, found with
 * native byte searches (relay/sse-bytes.ts) — no string decoding, no object per event; only a usage
 * chunk is decoded. Anything else (a CR line ending, a byte-order mark, a subclass that reads every event, a
 * trace that records the answer) goes through the full decoder, which writes a read's events as one too.
 */
import { HeldBytes } from '../core/held-bytes.js';
import { type AigwError, aigwError } from '../core/errors.js';
import type { Scrub } from '../core/scrub.js';
import { renderStreamErrorFrame } from '../openai/error-shape.js';
import { CHARS_PER_TOKEN } from '../translate/output-estimate.js';
import { SseDecoder, type SseEvent, type SseSink } from '../openai/sse.js';
import { modelIn, noteEvent } from './answer-facts.js';
import { impliedStatus } from './upstream-error.js';
import type { Downstream } from './downstream.js';
import {
  blankLines,
  completeUpTo,
  ERROR_JSON,
  ERROR_MEMBER,
  ERROR_SHAPE,
  eventData,
  eventEnd,
  isDone,
  looksDone,
  NULL_USAGES,
  nextErrorName,
  nextEscapedKeyLetter,
  nextUsage,
  TextMeter,
  nullUsageEnd,
  restHasNoUsage,
  startsWithData,
} from './sse-bytes.js';
import type { StreamRelay } from './stream-relay.js';
import { hasEmptyChoices, hasEscapedKeyLetter, lettersWritten, type Usage, type UsageReading, usageChunk } from './usage-tap.js';

/**
 * Bytes an event may exceed the smallest frame by and be counted one token unmeasured: its text is then at most 7
 * characters (a byte at least each), which the measure counts as one token too (length / 4, one at least) — so the
 * estimate is the measure's, and a backend's one-token chunks (vLLM's default) are not walked. At 16, a chunk of 2–4
 * tokens (vLLM --stream-interval 3, ~13 characters) counted one: a client leaving before the usage paid a third.
 */
const SMALL_EVENT_SLACK = 7;

const NO_BYTES = Buffer.alloc(0);
/** Events with data read for the answer's model before the relay stops looking (see `modelPending`). */
const MODEL_EVENTS = 4;
const NOOP = (): void => {};
const isLineEnd = (b: number): boolean => b === 0x0a || b === 0x0d;
/** U+FEFF in UTF-8. */
const BOM_BYTES = Buffer.from([0xef, 0xbb, 0xbf]);
/** Whether the event from `start` to `stop` holds a byte-order mark (only an end marker's is looked for). */
const hasBom = (raw: Buffer, start: number, stop: number): boolean => {
  const at = raw.indexOf(BOM_BYTES, start);
  return at >= 0 && at < stop;
};

/**
 * Whether a read may hold a byte-order mark. The node SDKs drop a mark that starts a line (openai/sse.ts), so a line
 * of a mark alone ends an event there: only the full decoder reads that as they do. A read that ends in a mark's
 * first bytes counts too (its rest would begin the next read); rare, as reads end at an event's blank line.
 */
function mayHoldBom(chunk: Buffer): boolean {
  // A search for its first byte, checked on: EF also leads full-width punctuation in CJK text (！ is EF BC 81).
  for (let at = chunk.indexOf(0xef); at >= 0; at = chunk.indexOf(0xef, at + 1)) {
    if (at + 1 === chunk.length) return true;
    if (chunk[at + 1] === 0xbb && (at + 2 === chunk.length || chunk[at + 2] === 0xbf)) return true;
  }
  return false;
}

/** The message of a backend's `{"error": …}` event, or a placeholder when it has none that can be read. */
function errorMessageOf(data: string): string {
  try {
    const json = JSON.parse(data) as { error?: unknown };
    // vLLM's older shape is the error itself: {"object": "error", "message": …}.
    const e = json.error ?? json;
    const m = typeof e === 'string' ? e : (e as { message?: unknown } | null)?.message;
    return typeof m === 'string' ? m : 'an error event without a message';
  } catch {
    return 'an error event that is not JSON';
  }
}

/**
 * Whether a JSON text is a backend's error as the client's SDK reads it: a top-level `error` that is not empty
 * wherever it stands (openai-node's `data.error`, openai-python's `data.get("error")`; OpenRouter's mid-stream
 * error follows the chunk's id and model), or vLLM's and Anthropic's shapes (`object`/`type` first, `"error"`).
 * Read by JSON.parse: for a text whose names are spelt with escapes, or that holds `"error"` anywhere — any other
 * text is no error to any of those readers, and the usual event (and a stream's first, read before the head) is
 * spared a parse.
 */
function isErrorAsRead(data: string): boolean {
  if (!data.includes('"error"') && !hasEscapedKeyLetter(data)) return false;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    // Not JSON to JSON.parse, but another client's parser may read it (Python's json takes NaN and Infinity): an
    // error if it is spelt as one (its text goes nowhere but scrubbed) — its names as that parser reads them: spelt
    // `"\u0065rror"`, Python's client raised its message, the backend's text unscrubbed.
    const spelt = lettersWritten(data);
    return ERROR_JSON.test(spelt) || ERROR_MEMBER.test(spelt);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return false;
  return Boolean((json as { error?: unknown }).error) || ERROR_SHAPE.test(lettersWritten(data));
}

/** Delta members that carry no token while empty (a role is the frame's). */
const FRAME_MEMBERS: ReadonlySet<string> = new Set(['role', 'content', 'refusal', 'reasoning_content', 'reasoning', 'tool_calls']);
const emptyValue = (v: unknown): boolean => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

/**
 * Whether a chunk (read before the answer's first output, so a few per stream at most) has choices each of whose
 * delta is only a role and empty members, no finish reason and no logprobs: a frame, no token. Anything else — a
 * member it does not know, a text, a shape it cannot read — is output, as every chunk was.
 */
function carriesNoToken(data: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return false;
  }
  const choices = (json as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices) || choices.length === 0) return false;
  for (const c of choices) {
    if (c === null || typeof c !== 'object') return false;
    const { delta, finish_reason, logprobs } = c as { delta?: unknown; finish_reason?: unknown; logprobs?: unknown };
    if (!emptyValue(finish_reason) || !emptyValue(logprobs) || delta === null || typeof delta !== 'object') return false;
    for (const [k, v] of Object.entries(delta)) if (!(k === 'role' || (FRAME_MEMBERS.has(k) && emptyValue(v)))) return false;
  }
  return true;
}

/** Whether an OpenAI stream's event is a backend's error, as the relay reads it (and the client's SDK). */
export function isOpenAiErrorEvent(ev: SseEvent): boolean {
  return ev.data !== undefined && !ev.data.startsWith('[DONE]') && isErrorAsRead(ev.data);
}

export class SseRelay implements SseSink, StreamRelay {
  /** The full decoder, made when a stream leaves the fast path (most never do). */
  private decoder: SseDecoder | undefined;
  private chunk: Buffer = NO_BYTES;
  private sliceStart = 0;
  /** The bytes of the event the full decoder is looking at (onEvent → look). */
  private eventBytes: Buffer = NO_BYTES;
  /**
   * What the full decoder's path has to write of the read it is on: the first event's bytes when they began in an
   * earlier read (`lead`), then the run of this read's bytes from `runStart` to `runEnd` — written as one at the read's
   * end (flushRun), as the fast path writes a read's complete events. A write an event, node:http queues four socket
   * writes for each once the client's socket is full: a read of 3-byte events held ~130× its bytes per stream.
   */
  private lead: Buffer | undefined;
  private runStart = 0;
  private runEnd = 0;
  private readonly held = new HeldBytes();
  /** The fast path holds only blank lines (they belong to the event after them). */
  private heldBlank = false;
  sawDone = false;
  outputEvents = 0;
  /** An output event carrying a token has been seen (the first one called onFirstEvent: the time to first token). */
  private tokenSeen = false;
  /**
   * OpenAI's chunks are not decoded here: one token per output event, unless the event is larger than the smallest
   * frame seen by more than one token could make it (SMALL_EVENT_SLACK). Then the text it carried is measured
   * (sse-bytes.ts textChars) and counted at translate/output-estimate.ts's length / 4: a backend that batches tokens
   * into chunks (Azure's content filter, vLLM's --stream-interval) made an answer left before its usage cost one
   * token a chunk, and a chunk made large by logprobs or a tool call's frame is not taken for text.
   */
  get outputEstimate(): number {
    return this.outputTokens;
  }
  private outputTokens = 0;
  /** The smallest frame seen: a measured event's bytes less the text it carried (as a one-line `data:` event). */
  private frameBytes = Infinity;
  /** Measures the events larger than the smallest frame allows (made at the stream's first: most streams only once). */
  private texts: TextMeter | undefined;

  /** One more output event of `bytes` (as a one-line event spells them), from `start` to `stop` in `buf`. */
  private countOutput(bytes: number, buf: Buffer, start: number, stop: number): void {
    this.outputEvents++;
    // Until an event with text told the frame, every event is measured (a backend that batches from its first chunk
    // has no smaller frame). An event smaller than the frame is measured too: taken for the frame unmeasured, its own
    // text would have raised the frame by as much.
    if (bytes >= this.frameBytes && bytes <= this.frameBytes + SMALL_EVENT_SLACK) {
      this.outputTokens++;
      return;
    }
    const text = (this.texts ??= new TextMeter()).chars(buf, start, stop);
    // Only an event that carried text tells a content chunk's frame: one without — the role's first chunk (vLLM's
    // `"role":"assistant","content":""`, 19 bytes more frame; OpenAI's with `"refusal":null`, 34), a tool call's
    // opening, Azure's prompt filter results — made every later chunk of up to 35 (50) characters one token.
    if (text > 0 && bytes - text < this.frameBytes) this.frameBytes = bytes - text;
    this.outputTokens += Math.max(1, Math.floor(text / CHARS_PER_TOKEN));
  }
  usage: Usage | undefined;
  failed: AigwError | undefined;
  failedStatus: number | undefined;
  model: string | undefined;
  /**
   * Events with data still to be read for the answer's model: the first that names one names it. Not only the first:
   * Azure OpenAI opens a stream with prompt filter results alone, `"model":""` (read there, every Azure stream's model
   * was none: `gen_ai_response_model` unknown). A few: a backend whose chunks name none is not decoded for good.
   */
  private modelPending = MODEL_EVENTS;
  /** The last event the decoder completed was kept from the client (the usage chunk aigw asked for). */
  private lastWithheld = false;
  /** Bytes are searched, not decoded, while this holds (see the header). */
  private fast: boolean;

  constructor(
    protected readonly out: Downstream,
    private readonly dropUsageChunk: boolean,
    private onFirstEvent: () => void,
    private readonly maxEventBytes: number,
    /** Removes configured secrets from a backend's error event (its text reaches the client in aigw's frame). */
    protected readonly scrub: Scrub = (t) => t,
  ) {
    this.fast = Object.getPrototypeOf(this) === SseRelay.prototype;
  }

  /** Relays what `chunk` completes; false when the event it leaves incomplete is over maxEventBytes. */
  push(chunk: Buffer): boolean {
    if (this.fast) {
      if (chunk.indexOf(0x0d) < 0 && !mayHoldBom(chunk) && this.out.record.answerNotes === undefined) return this.pushFast(chunk);
      // Leave the fast path for good, at an event boundary: what it held starts the decoder's first event.
      this.fast = false;
      if (this.held.size) chunk = this.held.take(chunk);
    }
    return this.pushDecoded(chunk);
  }

  /** The full decoder's path: each event read, what goes out of a read written once (flushRun). */
  private pushDecoded(chunk: Buffer): boolean {
    this.chunk = chunk;
    this.sliceStart = 0;
    this.decoder ??= new SseDecoder();
    this.runStart = this.runEnd = 0;
    if (this.decoder.awaitsLF && chunk[0] === 0x0a && this.held.size === 0) {
      // The LF of the CRLF that ended the last event (dispatched at its CR, the end of the last read): that
      // event's byte, sent or withheld with it — not the first byte of the next event.
      if (!this.lastWithheld) this.runEnd = 1;
      else this.runStart = this.runEnd = 1;
      this.sliceStart = 1;
    }
    this.decoder.push(chunk, this);
    this.flushRun();
    if (this.sliceStart < chunk.length) {
      const rest = this.sliceStart === 0 ? chunk : chunk.subarray(this.sliceStart);
      this.held.push(rest);
      if (this.held.bytes > this.maxEventBytes) return false;
    }
    return true;
  }

  /**
   * The fast path: every complete event of this read in one write (two around a withheld usage chunk). Blank
   * lines between events belong to the event after them, as in the full decoder: held until it completes.
   */
  private pushFast(chunk: Buffer): boolean {
    // A read that completes nothing is only added to what is held: copying the held bytes on every read would
    // make a backend that trickles one byte at a time cost time quadratic in the event's size.
    if (this.held.size && !this.completesAnEvent(chunk)) {
      this.held.push(chunk);
      this.heldBlank &&= blankLines(chunk, 0, chunk.length);
      return this.held.bytes <= this.maxEventBytes;
    }
    const buf = this.held.size ? this.held.take(chunk) : chunk;
    const complete = completeUpTo(buf);
    let end = 0;
    if (complete > 0) {
      let from = 0;
      let usageAt = nextUsage(buf, 0, complete);
      let escapeAt = nextEscapedKeyLetter(buf, 0, complete);
      // `"error"` anywhere: the event is read decoded, where an error is told as the client's SDK tells it.
      let errorAt = nextErrorName(buf, 0, complete);
      // `end` is also where the event being read owns its bytes from: the blank lines before it are its own.
      for (let start = 0, stop = 0; start < complete; start = stop) {
        // Servers write an event as one line and a blank one: a search for its first LF usually ends it (a
        // byte search, cheaper than one for "\n\n", and the event's shape known without a second).
        const nl = buf.indexOf(0x0a, start);
        const oneLine = buf[nl + 1] === 0x0a;
        stop = oneLine ? nl + 2 : eventEnd(buf, start, complete);
        if (blankLines(buf, start, stop)) continue;
        let decode = false;
        for (let nulls = 0; usageAt >= 0 && usageAt < stop; ) {
          // `"usage": null` is not usage (OpenAI's, in every chunk but the last): the event stays on the fast path.
          const nullEnd = nullUsageEnd(buf, usageAt);
          if (nullEnd < 0 || ++nulls > NULL_USAGES) {
            decode = true;
            usageAt = nextUsage(buf, stop, complete);
          } else usageAt = nextUsage(buf, restHasNoUsage(buf, nullEnd, stop) ? stop : usageAt + 1, complete);
        }
        if (escapeAt >= 0 && escapeAt < stop) {
          // A key spelt with escapes may be usage: the decoder reads the event (usage-tap.ts), exactly.
          decode = true;
          escapeAt = nextEscapedKeyLetter(buf, stop, complete);
        }
        if (errorAt >= 0 && errorAt < stop) {
          decode = true;
          errorAt = nextErrorName(buf, stop, complete);
        }
        if (!this.seeEvent(buf, start, stop, decode, oneLine)) {
          if (end > from) this.out.write(buf.subarray(from, end));
          from = stop;
          if (this.failed) {
            // A backend's error event ends the stream: nothing after it goes (the caller cuts the stream).
            this.dropHeld();
            return true;
          }
        }
        end = stop;
      }
      if (end > from) this.out.write(from === 0 && end === buf.length ? buf : buf.subarray(from, end));
    }
    // What was held went into `buf` (take): only the incomplete event after `end` is held now.
    if (end === buf.length) return true;
    const rest = end === 0 ? buf : buf.subarray(end);
    this.held.push(rest);
    this.heldBlank = blankLines(rest, 0, rest.length);
    return rest.length <= this.maxEventBytes;
  }

  /**
   * Whether a read, added to what is held, completes an event that is not only blank lines: it holds a blank
   * line after held text, or the held bytes are blank lines and it starts an event and ends one.
   */
  private completesAnEvent(chunk: Buffer): boolean {
    if (this.heldBlank) return !blankLines(chunk, 0, chunk.length) && completeUpTo(chunk) > 0;
    return completeUpTo(chunk) > 0 || (this.held.lastByte === 0x0a && chunk[0] === 0x0a);
  }

  /**
   * One complete event of the fast path, read as `look` reads a decoded one; false when the client must not get
   * it. The usual event — one `data:` line, no usage — is read from its bytes; the others (usage, a comment,
   * `event:`/`id:` lines, several data lines, the first events' model, those before the first token) are decoded: the
   * rare case pays, not the stream.
   */
  private seeEvent(buf: Buffer, start: number, stop: number, decode: boolean, oneLine: boolean): boolean {
    // After the end marker nothing goes: it stays the last event (a client's SDK reads nothing after it anyway).
    if (this.sawDone) return false;
    if (!decode && this.modelPending === 0 && this.tokenSeen && oneLine && startsWithData(buf, start)) {
      if (isDone(buf, start)) this.sawDone = true;
      // `[DONE]x` is no end marker, but an SDK stops at it and would read neither the rest nor aigw's cut frame.
      else if (looksDone(buf, start)) return false;
      else this.countOutput(stop - start, buf, start, stop);
      return true;
    }
    const data = eventData(buf, start, stop);
    return data === undefined || this.lookAtData(data, buf, start, stop);
  }

  /** Calls onFirstEvent once, then lets go of it (and of what it closes over) for the rest of the stream. */
  protected firstEvent(): void {
    const first = this.onFirstEvent;
    this.onFirstEvent = NOOP;
    first();
  }

  onEvent(ev: SseEvent, end: number): void {
    const start = this.sliceStart;
    this.sliceStart = end;
    // After a backend's error event, nothing more goes (the caller cuts the stream).
    if (this.failed) return;
    const began = this.held.size > 0;
    const bytes = began ? this.held.take(this.chunk.subarray(start, end)) : this.chunk.subarray(start, end);
    this.eventBytes = bytes;
    this.lastWithheld = !this.look(ev);
    this.eventBytes = NO_BYTES;
    if (this.lastWithheld) return;
    // Begun in an earlier read: the first event of this one (what was held is taken by it), written before the run.
    if (began) {
      this.lead = bytes;
      this.runStart = this.runEnd = end;
    } else if (this.runEnd === start) this.runEnd = end;
    else {
      // After a withheld event: the run so far goes, and a new one starts here.
      this.flushRun();
      this.runStart = start;
      this.runEnd = end;
    }
  }

  /** Writes what the decoder's path has gathered of this read (see `lead`). */
  private flushRun(): void {
    const lead = this.lead;
    const run = this.runEnd > this.runStart ? this.chunk.subarray(this.runStart, this.runEnd) : undefined;
    this.lead = undefined;
    this.runStart = this.runEnd;
    if (lead && run) this.out.write(Buffer.concat([lead, run], lead.length + run.length));
    else if (lead ?? run) this.out.write((lead ?? run)!);
  }

  /** Writes `text` for the client after what the events before it gathered (a subclass's own event, in its place). */
  protected send(text: string): void {
    this.flushRun();
    this.out.write(text);
  }

  /** Reads what accounting needs off one event on its way; false when the client must not get it. */
  protected look(ev: SseEvent): boolean {
    if (this.sawDone) return false;
    return ev.data === undefined || this.lookAtData(ev.data, this.eventBytes, 0, this.eventBytes.length);
  }

  /**
   * An event's data: [DONE], the answer's model (first event), usage, output; false for a usage chunk to hold back.
   * The event's bytes are `raw` from `start` to `stop`, where its output is measured.
   */
  private lookAtData(data: string, raw: Buffer, start: number, stop: number): boolean {
    if (data.startsWith('[DONE]')) {
      // After a byte-order mark the end marker is a near miss too: the node SDKs stop at it (they drop the mark),
      // other readers read no data line there and wait for the rest, which must reach them.
      if (data !== '[DONE]' || hasBom(raw, start, stop)) return false;
      this.sawDone = true;
      return true;
    }
    if (isErrorAsRead(data)) {
      // Not passed through: its text may echo a configured secret. The client gets aigw's frame with it, scrubbed.
      this.failed = aigwError('upstream_stream_error', `backend stream error (${this.scrub(errorMessageOf(data)).slice(0, 500)})`);
      this.failedStatus = impliedStatus(data, 'application/json');
      return false;
    }
    const reading = this.lookAt(data);
    if (reading) {
      if (reading.usage) this.usage = reading.usage;
      // The usage-only chunk is not output.
      if (reading.emptyChoices) return !this.dropUsageChunk;
    } else if (this.outputEvents === 0 && hasEmptyChoices(data)) {
      // Nor is a chunk of no choices and no usage before any output: Azure's prompt filter results. Counted, the
      // answer's first token was the filter's (its TTFT, what latency routing reads), and it cost a token.
      return true;
    }
    // The first token is the first chunk carrying one — not the role's opening chunk (`"delta":{"role":"assistant",
    // "content":""}`) a server may send before it generates: taken for it, the time to first token was the frame's,
    // where the same stream translated for an Anthropic client read its text's. (The frame still counts in the estimate.)
    if (!this.tokenSeen && !carriesNoToken(data)) {
      this.tokenSeen = true;
      this.firstEvent();
    }
    this.countOutput(stop - start, raw, start, stop);
    return true;
  }

  /** Reads the answer's model (first event) and, for a recording trace, its notes; the event's usage, if it carries one. */
  private lookAt(data: string): UsageReading | undefined {
    if (this.modelPending > 0) {
      this.model = modelIn(data);
      this.modelPending = this.model === undefined ? this.modelPending - 1 : 0;
      this.out.record.responseModel = this.model;
    }
    if (this.out.record.answerNotes !== undefined) noteEvent(this.out.record.answerNotes, data);
    return usageChunk(data);
  }

  errorFrame(err: AigwError): string {
    return renderStreamErrorFrame(err);
  }

  /**
   * Bytes left over when the upstream ended: only blank lines go, after the end marker as on a cut. An
   * event that never ended is dropped, as an SSE reader drops one at the end of a stream. Completed by a blank
   * line, it would reach the client as an event the backend never finished — a `data: [DONE]` that lost its blank
   * line would read as a clean end and hide the error frame after it, half a JSON object would fail the client's
   * parser instead of showing the cut; after the end marker, nothing but it is the last event.
   */
  flushHeld(_cut: boolean): void {
    if (!this.held.size) return;
    const rest = this.held.take();
    if (rest.every(isLineEnd)) this.out.write(rest);
  }

  get holding(): boolean {
    return this.held.size > 0;
  }

  /** Drops an event that grew too large (its bytes never reach the client: it is cut whole). */
  dropHeld(): void {
    this.held.clear();
  }
}
