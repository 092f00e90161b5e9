/**
 * What the SSE relay needs to know of OpenAI's stream bytes, found with native byte searches instead of a
 * decoder: where complete events end, which events carry data, where `data: [DONE]` and usage chunks are.
 * For streams whose lines end in LF only (every OpenAI-compatible server we know): the relay falls back to
 * the full decoder (openai/sse.ts) the moment a CR appears.
 */

const BOUNDARY = Buffer.from('\n\n');
const USAGE = Buffer.from('"usage"');
/** `usage"`: the key `"usage"` is this after a quote (see nextUsage). */
const USAGE_TAIL = Buffer.from('usage"');
/** `rror"`: the name `"error"` is this after `"e` (see nextErrorName). */
const ERROR_TAIL = Buffer.from('rror"');
const ERROR_NAME = Buffer.from('"error"');
/** Near misses (`usage"` after another byte) nextUsage checks one by one before it searches for the whole key. */
const NEAR_MISSES = 8;
/** `[DONE]\n`, after `data:` and an optional space. */
const DONE_TAIL = Uint8Array.from(Buffer.from('[DONE]\n'));

/** Offset just past the last blank line in `buf` before `end` (the end of its last complete event), or 0. */
export function completeUpTo(buf: Buffer): number {
  // A server's read nearly always ends on an event's blank line: two bytes looked at, not a native search.
  const n = buf.length;
  if (n >= 2 && buf[n - 1] === 0x0a && buf[n - 2] === 0x0a) return n;
  const at = buf.lastIndexOf(BOUNDARY);
  return at < 0 ? 0 : at + 2;
}

// The checks below run once per event: a few byte comparisons in JavaScript cost less than native calls
// (Buffer#compare), and allocate nothing.

/** Whether the line at `start` is a `data:` line (for an event of one line and its blank one: see sse-relay.ts). */
export function startsWithData(buf: Buffer, start: number): boolean {
  return (
    start + 5 <= buf.length &&
    buf[start] === 0x64 && // d
    buf[start + 1] === 0x61 && // a
    buf[start + 2] === 0x74 && // t
    buf[start + 3] === 0x61 && // a
    buf[start + 4] === 0x3a // :
  );
}

/** Whether the `data:` line at `start` (its optional space skipped) goes on with `text`. */
function dataGoesOn(buf: Buffer, start: number, text: Uint8Array): boolean {
  let at = start + 5;
  if (buf[at] === 0x20) at++;
  if (at + text.length > buf.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[at + i] !== text[i]) return false;
  return true;
}

/** Whether the event at `start`, one data line (`oneDataLine`), is the end marker (`data: [DONE]` or `data:[DONE]`). */
export function isDone(buf: Buffer, start: number): boolean {
  return dataGoesOn(buf, start, DONE_TAIL);
}

const DONE_TEXT = DONE_TAIL.subarray(0, DONE_TAIL.length - 1);

/**
 * Whether a `data:` line's text begins `[DONE]` — the end marker or a near miss (`[DONE]x`, `[DONE] `): the SDKs
 * (openai-node, openai-python) read any of them as the end, and read nothing after it.
 */
export function looksDone(buf: Buffer, start: number): boolean {
  return dataGoesOn(buf, start, DONE_TEXT);
}

/** Whether `start` to `stop` is only blank lines (what a stream may hold between events: no event of its own). */
export function blankLines(buf: Buffer, start: number, stop: number): boolean {
  for (let i = start; i < stop; i++) if (buf[i] !== 0x0a) return false;
  return true;
}

/**
 * A JSON text whose first member says it is an error, whatever its spacing: `{"error": …}` (OpenAI's, vLLM's),
 * `{"object": "error", …}` (vLLM's older shape), `{"type": "error", …}` (Anthropic's): an event whose data is
 * spelt so but is not JSON is an error still (sse-relay.ts). Every text it matches holds `"error"`, the bytes the
 * relay's fast path searches for (nextErrorName).
 */
export const ERROR_JSON = /^[ \t\r\n]*\{[ \t\r\n]*"(?:error"|(?:object|type)"[ \t\r\n]*:[ \t\r\n]*"error")/;
/** vLLM's older shape and Anthropic's, as spelt: read off the text, since JSON.parse lists integer-like names first. */
export const ERROR_SHAPE = /^[ \t\r\n]*\{[ \t\r\n]*"(?:object|type)"[ \t\r\n]*:[ \t\r\n]*"error"/;
/** An `"error"` member anywhere, as spelt (read where a text is not JSON to JSON.parse). */
export const ERROR_MEMBER = /"error"[ \t\r\n]*:/;

/** Whether `lit` is at `at` in `buf`. */
function bytesAt(buf: Buffer, at: number, lit: Uint8Array): boolean {
  // In JavaScript: the usual byte after `"usage":` differs from `null` in its first byte, where Buffer#compare
  // was a native call each time.
  if (at + lit.length > buf.length) return false;
  for (let i = 0; i < lit.length; i++) if (buf[at + i] !== lit[i]) return false;
  return true;
}

/** The first offset from `at` that is not a space or a tab. */
function skipBlanks(buf: Buffer, at: number): number {
  while (buf[at] === 0x20 || buf[at] === 0x09) at++;
  return at;
}

/** The end (just past its blank line) of the event starting at `start`, within `limit`. */
export function eventEnd(buf: Buffer, start: number, limit: number): number {
  const at = buf.indexOf(BOUNDARY, start);
  return at < 0 || at + 2 > limit ? limit : at + 2;
}

const NULL = Uint8Array.from(Buffer.from('null'));
/**
 * `"usage": null` keys one event may hold before the relay lets its decoder read the event: each is a native search
 * for the next key, and a backend's event full of them must not make one per key (the decoder reads it at once).
 */
export const NULL_USAGES = 8;

/**
 * Where the `"usage": null` at `at` (its opening quote, from nextUsage) ends, or -1 when the key there has another
 * value. OpenAI writes it into every chunk but the last of a stream that asked for usage, as aigw asks for every
 * stream: not usage.
 */
export function nullUsageEnd(buf: Buffer, at: number): number {
  const colon = skipBlanks(buf, at + USAGE.length);
  if (buf[colon] !== 0x3a) return -1;
  const value = skipBlanks(buf, colon + 1);
  return bytesAt(buf, value, NULL) ? value + NULL.length : -1;
}

/** Bytes after a null usage read in JavaScript for another key, rather than searched natively (see restHasNoUsage). */
const SHORT_REST = 64;

/**
 * Whether the rest of an event after a `"usage": null`, `at` to `stop`, is short and holds no `"u` — so no other
 * `"usage"` key: OpenAI's chunk ends there, or with its `"obfuscation":"…"` member (OpenAI's streams carry one since
 * 2026), and nothing after it needs a native search. A key spelt with escapes is the escape search's (sse-relay.ts).
 */
export function restHasNoUsage(buf: Buffer, at: number, stop: number): boolean {
  if (stop - at > SHORT_REST) return false;
  for (let i = at; i < stop - 1; i++) if (buf[i] === 0x22 && buf[i + 1] === 0x75) return false;
  return true;
}

const ESCAPE_U00 = Buffer.from('\\u00');
/** Backslashes that start no `\u00` letter, looked past one by one before nextEscapedKeyLetter searches for the escape. */
const BACKSLASH_MISSES = 4;
/** `\u00` escapes of other characters looked past one by one before the next one is taken for a letter. */
const ESCAPE_MISSES = 8;
const isHexDigit = (b: number | undefined): boolean =>
  b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));

/** Whether a `\u00` escape of a lower-case letter or `_` (XX 60–7f, 5f) starts at `at`. */
function escapedLetterAt(buf: Buffer, at: number): boolean {
  if (buf[at + 1] !== 0x75 || buf[at + 2] !== 0x30 || buf[at + 3] !== 0x30) return false;
  const hi = buf[at + 4];
  const lo = buf[at + 5];
  return ((hi === 0x36 || hi === 0x37) && isHexDigit(lo)) || (hi === 0x35 && (lo === 0x66 || lo === 0x46));
}

/**
 * The next `\u00XX` at or after `from` and before `limit` that writes a lower-case letter or `_`, or -1 (an offset
 * where one may start, to be read by the decoder). `"\u0075sage"` is the key `"usage"` to a JSON parser and the
 * client's SDK, and no byte search for the key finds it: an event with one is read by the decoder, which reads such
 * a text with JSON.parse (usage-tap.ts). No encoder escapes those characters, so a normal stream's reads hold none.
 * Most hold no backslash at all: one search for a single byte (~40 ns, where a search for `\u00` is ~160) says
 * so. A few backslashes (a `\n` in the text) are looked at one by one; past them, the search is for `\u00`, and
 * past a few escapes of other characters (an encoder that escapes non-ASCII) the next one is taken: the decoder
 * reads its event, exactly. A read full of either costs a few native searches, not one per backslash.
 */
export function nextEscapedKeyLetter(buf: Buffer, from: number, limit: number): number {
  if (from >= limit) return -1;
  let at = buf.indexOf(0x5c, from);
  for (let misses = 0; at >= 0 && at < limit; at = buf.indexOf(0x5c, at + 2)) {
    if (escapedLetterAt(buf, at)) return at;
    // An escape is two characters at least: the byte after a backslash never starts the next one.
    if (++misses === BACKSLASH_MISSES) break;
  }
  if (at < 0 || at >= limit) return -1;
  let misses = 0;
  for (at = buf.indexOf(ESCAPE_U00, at); at >= 0 && at < limit; at = buf.indexOf(ESCAPE_U00, at + 4)) {
    if (escapedLetterAt(buf, at) || ++misses > ESCAPE_MISSES) return at;
  }
  return -1;
}

/** The next `"usage"` at or after `from` and before `limit`, or -1. */
export function nextUsage(buf: Buffer, from: number, limit: number): number {
  // Six bytes searched, the quote before them checked: Node searches a needle of seven bytes or more with
  // Boyer-Moore-Horspool, whose set-up made `"usage"` cost ~555 ns on a 200-byte chunk against ~205 for
  // `usage"` (and 91 against 14 µs over 64 KiB), measured: once per read of every stream.
  // A backend's stream full of `"xusage":` keys would make each near miss a native call: past a few, one
  // search for the whole key finishes the read (what every read cost before).
  // Nothing left to search (the last event of a read, usually): no native call.
  if (from >= limit) return -1;
  let misses = 0;
  for (let at = buf.indexOf(USAGE_TAIL, from + 1); at > 0 && at - 1 < limit; at = buf.indexOf(USAGE_TAIL, at + 1)) {
    if (buf[at - 1] === 0x22) return at - 1;
    if (++misses === NEAR_MISSES) {
      const whole = buf.indexOf(USAGE, at);
      return whole >= 0 && whole < limit ? whole : -1;
    }
  }
  return -1;
}

/**
 * The next `"error"` at or after `from` and before `limit`, or -1: a member a client's SDK reads as the backend's
 * error wherever it stands (openai-node's `data.error`; OpenRouter puts it after the chunk's id, model and
 * provider). Found as a string anywhere — a value, a nested name — the event is read decoded, which tells. Five bytes
 * searched, as nextUsage does (`rror"` ~70 ns on a 195-byte chunk, ~136 on 780; `"error"` ~240): one search a read,
 * the price of reading errors as the SDKs do — 1.14–1.40× the fast path's own time (~2 µs a 23-event stream,
 * `npm run bench:micro -- --only relay`), ~1 % of a saturating stream's CPU.
 */
export function nextErrorName(buf: Buffer, from: number, limit: number): number {
  if (from >= limit) return -1;
  let misses = 0;
  for (let at = buf.indexOf(ERROR_TAIL, from + 2); at > 1 && at - 2 < limit; at = buf.indexOf(ERROR_TAIL, at + 1)) {
    if (buf[at - 1] === 0x65 && buf[at - 2] === 0x22) return at - 2;
    if (++misses === NEAR_MISSES) {
      const whole = buf.indexOf(ERROR_NAME, at - 1);
      return whole >= 0 && whole < limit ? whole : -1;
    }
  }
  return -1;
}

/** Whether the line from `at` to `nl` (its LF, or the event's end) is a `data` field: `data` alone, or `data:`. */
function isDataLine(buf: Buffer, at: number, nl: number): boolean {
  return (
    nl - at >= 4 &&
    buf[at] === 0x64 && // d
    buf[at + 1] === 0x61 && // a
    buf[at + 2] === 0x74 && // t
    buf[at + 3] === 0x61 && // a
    (nl - at === 4 || buf[at + 4] === 0x3a)
  );
}

/** Data lines this short are copied a byte at a time (a native copy costs more than the bytes). */
const SHORT_COPY = 64;

/**
 * The data of one event (its `data` fields joined by LF, as the decoder in openai/sse.ts reads them), decoded;
 * undefined when it has none (a comment, an `id:` alone): only for the rare events we must read. Read off the bytes:
 * the values of several lines are joined as bytes and decoded once (a line's value never splits a character: LF is
 * no byte of one). Decoded whole, split into lines and joined string by string, an event of 16 MiB of `data:x` lines
 * (a backend's, up to maxEventBytes) held the loop ~0.8 s and made a string of 2.4 million pieces, 137–232 MB of heap
 * for as long as it was read.
 */
export function eventData(buf: Buffer, start: number, end: number): string | undefined {
  let first = -1;
  let firstEnd = -1;
  /** The values of the data lines joined (made at the second one): never more than the event's bytes. */
  let joined: Buffer | undefined;
  let length = 0;
  for (let at = start; at < end; ) {
    let nl = at;
    while (nl < end && buf[nl] !== 0x0a) nl++;
    if (isDataLine(buf, at, nl)) {
      let from = at + 4;
      if (from < nl) from++;
      if (from < nl && buf[from] === 0x20) from++;
      if (first < 0) {
        first = from;
        firstEnd = nl;
      } else {
        if (joined === undefined) {
          joined = Buffer.allocUnsafe(end - start);
          length = buf.copy(joined, 0, first, firstEnd);
        }
        joined[length++] = 0x0a;
        if (nl - from > SHORT_COPY) length += buf.copy(joined, length, from, nl);
        else for (let k = from; k < nl; k++) joined[length++] = buf[k]!;
      }
    }
    at = nl + 1;
  }
  if (first < 0) return undefined;
  return joined === undefined ? buf.toString('utf8', first, firstEnd) : joined.toString('utf8', 0, length);
}

/**
 * The names whose string values are generated text in an OpenAI chunk: `content` (also `reasoning_content`),
 * `reasoning`, a completion's `text`, a tool call's `arguments`, a `refusal`, an audio answer's `transcript` (its
 * `data`, base64 audio, is not text: counted one token an event). A `"content":[` (logprobs) or a token in
 * `"token":"…"` is not text the answer carried.
 */
const TEXT_NAMES = ['content', 'reasoning', 'text', 'arguments', 'refusal', 'transcript'].map((n) => Buffer.from(n));

/** Whether the name that ends just before the `":"` whose colon is at `colon` is a text name (after `"` or `_`). */
function isTextName(buf: Buffer, start: number, colon: number): boolean {
  for (const name of TEXT_NAMES) {
    const at = colon - 1 - name.length;
    if (at <= start) continue;
    let k = 0;
    while (k < name.length && buf[at + k] === name[k]) k++;
    // The name's own quote must open it: `"content":"`, `"reasoning_content":"` (a `_` before), not `xcontent":"`.
    if (k === name.length && (buf[at - 1] === 0x22 || buf[at - 1] === 0x5f)) return true;
  }
  return false;
}

/**
 * The characters of generated text in the event from `start` to `stop` (its JSON bytes, escapes counted as
 * written): each text name's string value to its closing quote, every occurrence. Spelt with other spacing
 * (`"content": "`) it is not found: 0, and the caller counts the event as one token, as before it looked.
 *
 * One pass, in JavaScript, for `":"` (a member with a string value), Horspool's way: a byte that is neither a
 * quote nor a colon cannot be in a match, so the pass looks at every third byte, and it skips each string value
 * it finds. Inside a string every quote is escaped, so no name found there is a text name; a `\":"` that ends a
 * string matches, but its "value" runs only to the next quote, and the name before it ends in a colon, never a
 * text name's letter. Every output event of
 * a batching backend is measured: four native searches, one a name, cost it 2.5× this pass.
 */
export function textChars(buf: Buffer, start: number, stop: number): number {
  return textWalk(buf, start, stop, start + 2, NO_LEAD);
}

/** Where a walk found its event's first text value (the index of its opening quote), or -1. */
interface Lead {
  at: number;
}
/** Where textChars' walk notes a lead nobody reads. */
const NO_LEAD: Lead = { at: -1 };

/** textChars' pass from `from`; `lead.at` is set to the first text value's opening quote it finds, else -1. */
function textWalk(buf: Buffer, start: number, stop: number, from: number, lead: Lead): number {
  let chars = 0;
  lead.at = -1;
  // `i` is where the last byte of a `":"` would be.
  for (let i = from; i < stop; ) {
    const b = buf[i];
    if (b === 0x22 && buf[i - 1] === 0x3a && buf[i - 2] === 0x22) {
      let end = i + 1;
      while (end < stop && buf[end] !== 0x22) end += buf[end] === 0x5c ? 2 : 1;
      end = Math.min(end, stop);
      if (isTextName(buf, start, i - 1)) {
        if (lead.at < 0) lead.at = i;
        chars += end - (i + 1);
      }
      // The value's closing quote opens no `":"` in JSON, but a backend's bytes need not be JSON: looked at again.
      i = end + 1;
      // A quote that ends no match can only begin one; a colon can be the middle of one; no other byte is in one.
    } else i += b === 0x22 ? 2 : b === 0x3a ? 1 : 3;
  }
  return chars;
}

/**
 * textChars over the events of one stream. A stream's chunks repeat their frame up to their text (OpenAI's carry the
 * same id, object, created, model and system_fingerprint, then `"choices":[{"index":0,"delta":{"content":"`): the
 * bytes of the last measured event up to its first text value are kept, and an event that starts with the same bytes
 * is walked from there — one memcmp for ~3/4 of the walk (a 235-byte chunk: 300 → 175 ns here). Exact: the walk
 * reads only bytes before a position to reach it, so over the same bytes it reaches the same first text value with
 * nothing counted before it.
 */
export class TextMeter {
  /** The last measured event's bytes up to and including its first text value's opening quote: `lead[0, leadLength)`. */
  private lead: Buffer | undefined;
  private leadLength = 0;
  private readonly found: Lead = { at: -1 };

  chars(buf: Buffer, start: number, stop: number): number {
    const n = this.leadLength;
    if (n > 0 && stop - start >= n && buf.compare(this.lead!, 0, n, start, start + n) === 0) {
      return textWalk(buf, start, stop, start + n - 1, this.found);
    }
    const chars = textWalk(buf, start, stop, start + 2, this.found);
    // An event without text (a finish or usage chunk) keeps the lead of the events around it. A lead is copied into
    // the bytes kept for the last one: a stream whose frames keep changing allocates nothing an event.
    const length = this.found.at + 1 - start;
    if (length > 0 && length <= MAX_LEAD) {
      if (this.lead === undefined || this.lead.length < length) this.lead = Buffer.allocUnsafe(Math.max(length, 256));
      buf.copy(this.lead, 0, start, start + length);
      this.leadLength = length;
    }
    return chars;
  }
}

/** A longer lead (a frame with large members before its text) is not kept: its event is walked whole. */
const MAX_LEAD = 1024;
