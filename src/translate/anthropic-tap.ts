/**
 * Anthropic client → Anthropic backend: the bytes pass through untranslated; this only looks. It reads
 * what accounting needs off the stream's events as they pass (usage from message_start and message_delta,
 * the end, the first content, the model), and the usage out of a non-streamed Message's last bytes.
 */
import { type AigwError, aigwError } from '../core/errors.js';
import { NO_SCRUB, type Scrub } from '../core/scrub.js';
import { isSpace } from '../core/whitespace.js';
import { ErrorBody, MessageDeltaEvent, MessageStartEvent } from '../anthropic/response.js';
import type { SseEvent } from '../openai/sse.js';
import { type TokenUsage, usageFromAnthropic } from './mapping.js';
import { deltaTokensAtLeast } from './output-estimate.js';
import { parseData } from './stream.js';

export class AnthropicStreamTap {
  usage: TokenUsage | undefined;
  completed = false;
  error: AigwError | undefined;
  contentStarted = false;
  /** content_block_delta events seen (zero: no output yet). */
  deltas = 0;
  /** The output tokens those deltas carried, at least: the estimate of a stream that ends without its final usage. */
  deltaTokens = 0;
  model: string | undefined;
  /** The usage's output is message_start's placeholder (Anthropic sends 1) until a message_delta carries usage. */
  outputProvisional = true;

  /** `scrub`: removes configured secrets from a backend's error text before it is cut to length. */
  constructor(private readonly scrub: Scrub = NO_SCRUB) {}

  /** Looks at one event on its way to the client, as the client's Anthropic SDK reads it. */
  observe(ev: SseEvent): void {
    if (ev.data === undefined || this.completed) return;
    // The SDK (core/streaming.js) skips an event without an `event:` line, or named `ping`, throws on one named
    // `error`, and reads every other by its data's `type`, whatever its name: read by name, `event: message_stop`
    // with `{"type":"ping"}` ended the answer for aigw alone (the relay withheld the rest, the usage uncounted); read
    // by type alone, an unnamed `message_stop` did. But an error, named or not, whose text may echo a secret to a
    // client that reads the bytes: it is the error it says it is.
    const name = ev.event;
    if (name === 'ping') return;
    // The common delta, named so and its data's type first (as Anthropic writes it), is counted unparsed: the tap
    // runs on every event of a stream. (A repeated "type" further on is the SDK's to read as its last: aigw then
    // counts a delta the SDK took for something else, never misses an end or an error the SDK saw as a delta.)
    if (name === 'content_block_delta' && ev.data.startsWith(DELTA_DATA)) return this.delta(ev.data);
    // Any other is parsed once: a delta is an event of any name whose data says so.
    const json = parseData(ev.data);
    const type = name === 'error' ? 'error' : typeOf(json);
    if (name === undefined && type !== 'error') return;
    switch (type) {
      case 'content_block_delta':
        return this.delta(ev.data);
      case 'content_block_start':
        // A text or thinking block opening empty is the message's frame, not a token (its first delta is): read as the
        // first content, a backend that opens its block before generating (a proxy, aigw's own translation does not)
        // had its time to first token be the frame's. A block opening with content (a tool call, text) is output.
        if (!opensEmpty(json)) this.contentStarted = true;
        return;
      case 'message_start': {
        // One message a stream: a second message_start's placeholder usage replaced the counts read so far — after a
        // message_delta's final usage, 500 tokens relayed then counted as its 1 (the translated direction refuses it).
        if (this.usage !== undefined) return;
        const e = MessageStartEvent.safeParse(json);
        if (e.success) {
          this.model = e.data.message.model;
          this.usage = usageFromAnthropic(e.data.message.usage);
        }
        return;
      }
      case 'message_delta': {
        const e = MessageDeltaEvent.safeParse(json);
        if (e.success && e.data.usage) {
          this.usage = usageFromAnthropic(e.data.usage, this.usage);
          this.outputProvisional = false;
        }
        return;
      }
      case 'message_stop':
        this.completed = true;
        return;
      case 'error': {
        const e = ErrorBody.safeParse(json);
        const what = e.success ? `${e.data.error.type}: ${e.data.error.message}` : 'unreadable error event';
        this.error = aigwError('upstream_stream_error', `backend stream error (${this.scrub(what).slice(0, 500)})`);
        return;
      }
    }
  }
  private delta(data: string): void {
    this.deltas++;
    this.deltaTokens += deltaTokensAtLeast(data);
    this.contentStarted = true;
  }
}

/** Whether a content_block_start opens a text or thinking block with nothing in it yet. */
function opensEmpty(json: unknown): boolean {
  const block = (json as { content_block?: unknown } | null)?.content_block;
  if (block === null || typeof block !== 'object') return false;
  const b = block as { type?: unknown; text?: unknown; thinking?: unknown };
  if (b.type === 'text') return b.text === '' || b.text === undefined;
  if (b.type === 'thinking') return b.thinking === '' || b.thinking === undefined;
  return false;
}

/** How Anthropic begins a delta's data. */
const DELTA_DATA = '{"type":"content_block_delta"';

/** The `type` of an event's parsed data. */
/** Whether an Anthropic stream's event is an error as the tap (and the Anthropic SDK) reads it: named so, or typed so. */
export function isAnthropicErrorEvent(ev: SseEvent): boolean {
  if (ev.data === undefined || ev.event === 'ping') return false;
  return ev.event === 'error' || typeOf(parseData(ev.data)) === 'error';
}

/**
 * Whether a stream's event says nothing of the answer yet: Anthropic's `message_start` (the message's id, model and
 * input count, sent at once) and `ping`. An `overloaded_error` often follows `message_start` (reliability trust 46),
 * so a stream is not begun for the client until something else comes (relay/first-event.ts).
 */
export function isAnthropicPreamble(ev: SseEvent): boolean {
  if (ev.event === 'ping') return true;
  if (ev.data === undefined || (ev.event !== undefined && ev.event !== 'message_start')) return false;
  return typeOf(parseData(ev.data)) === 'message_start';
}

function typeOf(v: unknown): string | undefined {
  const t = v && typeof v === 'object' ? (v as { type?: unknown }).type : undefined;
  return typeof t === 'string' ? t : undefined;
}

/** The largest count read (15 digits, a safe integer): a backend's 400-digit count must not become Infinity in a limit. */
const MAX_COUNT = 999_999_999_999_999;

/** A count as JSON says it, in whole tokens (4e3 is 4000, as the SDK reads it); undefined when it is not a count. */
const countOf = (v: unknown): number | undefined => (typeof v === 'number' && v >= 0 && v <= MAX_COUNT ? Math.floor(v) : undefined);

/**
 * The usage of a non-streamed Message from the end of its text: the top-level `usage` member, found from the
 * end. Anthropic puts usage last, so the relay's tail window holds it however long the answer was; but a
 * backend may put it first, and then the last `"usage"` in the text can be a key inside a tool's input. The
 * member's value is read by JSON.parse, as the client's SDK reads it: a count written `4e3`, a key spelt with
 * escapes (`"output\u005ftokens"`) or written twice (the last one holds) read as the SDK reads them.
 */
export function anthropicUsageIn(text: string): TokenUsage | undefined {
  const value = topLevelValueFromEnd(text, 'usage');
  if (value === undefined) return undefined;
  try {
    return usageOfValue(JSON.parse(value));
  } catch {
    return undefined;
  }
}

/**
 * Accounting's usage from Anthropic's usage object as parsed; undefined without an output count (left out, null,
 * not a count): the answer's content is counted then. Taken as 0, a usage of `{"input_tokens":10}` charged no
 * output for any answer.
 */
function usageOfValue(usage: unknown): TokenUsage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined;
  const u = usage as Record<string, unknown>;
  const input = countOf(u.input_tokens);
  const output = countOf(u.output_tokens);
  if (output === undefined) return undefined;
  const cacheRead = countOf(u.cache_read_input_tokens) ?? 0;
  const cacheCreation = countOf(u.cache_creation_input_tokens) ?? 0;
  const read: TokenUsage = { input: (input ?? 0) + cacheRead + cacheCreation, output, cacheRead, cacheCreation };
  // No input count (left out, a string) is no count of the prompt: it is counted (relay/usage-tap.ts promptUnread).
  if (input === undefined) read.inputUnread = true;
  return read;
}

/**
 * The text of the top-level object's member `key`, read backwards from the object's closing brace. Not
 * openai/json-scan's forward scan: a tail window starts anywhere in the body, maybe inside a string, while its
 * end is always outside one. Backwards, a quote not escaped by an odd run of backslashes opens or closes a
 * string, so depth is known from the end on; a string at depth 1 followed by `:` is a key.
 */
function topLevelValueFromEnd(text: string, key: string): string | undefined {
  let i = text.length - 1;
  while (i >= 0 && isSpace(text.charCodeAt(i))) i--;
  if (text.charCodeAt(i) !== 0x7d) return undefined;
  let depth = 0;
  /** Where the member being read backwards ends: the `,` or `}` after it. */
  let memberEnd = i;
  for (; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 0x7d || c === 0x5d) depth++;
    else if (c === 0x7b || c === 0x5b) depth--;
    else if (c === 0x2c && depth === 1) memberEnd = i;
    else if (c === 0x22) {
      const close = i;
      // Back to the quote that opens this string: one preceded by an even run of backslashes.
      for (i--; i >= 0; i--) {
        if (text.charCodeAt(i) !== 0x22) continue;
        let k = i - 1;
        while (k >= 0 && text.charCodeAt(k) === 0x5c) k--;
        if ((i - k) % 2 === 1) break;
      }
      if (i < 0) return undefined;
      if (depth !== 1 || keyText(text.slice(i + 1, close)) !== key) continue;
      let colon = close + 1;
      while (isSpace(text.charCodeAt(colon))) colon++;
      if (text.charCodeAt(colon) === 0x3a) return text.slice(colon + 1, memberEnd);
    }
    if (depth === 0) return undefined;
  }
  return undefined;
}

/** A key as JSON reads it: `"\u0075sage"` is `usage`. Escapes are rare; only a key holding one is parsed. */
function keyText(raw: string): string | undefined {
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
}
