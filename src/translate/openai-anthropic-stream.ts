/**
 * OpenAI client → Anthropic backend, the stream: Anthropic's events become chat completion chunks, event by
 * event — the role chunk on `message_start`; `delta.content` for text, `delta.reasoning_content` for thinking;
 * `delta.tool_calls[i]` with id, type and name first, then argument fragments; `finish_reason` on
 * `message_delta`; the usage chunk (when the client asked for it) and `[DONE]` on `message_stop`. A backend
 * `error` event becomes OpenAI's error frame, with no `[DONE]` after it.
 */
import { type AigwError, aigwError } from '../core/errors.js';
import { HeldText } from '../core/held-text.js';
import type { Scrub } from '../core/scrub.js';
import type { ResponseBlock } from '../anthropic/blocks.js';
import {
  ContentBlockStartEvent,
  ErrorBody,
  MessageDeltaAnyUsage,
  MessageStartAnyUsage,
  readDeltaUsage,
  readUsage,
} from '../anthropic/response.js';
import { renderStreamErrorFrame } from '../openai/error-shape.js';
import { SSE_DONE, type SseEvent } from '../openai/sse.js';
import { ownString } from '../core/own-string.js';
import { readBlockDelta } from './fast-read.js';
import { LocalStop } from './local-stop.js';
import { elementStarts, memberSpan } from './json-members.js';
import { chatUsageOf, finishReasonWithCalls, overlongName, serialize, unreadable, usageFromAnthropic } from './mapping.js';
import { tokensAtLeast } from './output-estimate.js';
import { openAIFrame, parseData, type StreamTranslator, TranslatorEnding } from './stream.js';

const KEEP_ALIVE = ': ping\n\n';
/**
 * tool_use blocks open at once, at most. Anthropic opens one at a time (each stops before the next starts), but the
 * SDK reads blocks by index, interleaved or not, so open ones are kept apart rather than refused — up to this many:
 * a backend that started a million blocks and stopped none held ~29 MiB for the stream's life.
 */
const MAX_OPEN_TOOLS = 128;
/** Blocks a stream may open (a byte each is kept: its kind): Anthropic's longest answers hold a few thousand. */
const MAX_BLOCKS = 1 << 20;
/** What a block at a place holds, as the SDK tells a delta's block apart: text, thinking, or neither. */
const OTHER_BLOCK = 0;
const TEXT_BLOCK = 1;
const THINKING_BLOCK = 2;
const DELTA_TYPES: ReadonlySet<string> = new Set([
  'text_delta',
  'input_json_delta',
  'thinking_delta',
  'signature_delta',
  'citations_delta',
]);

export interface MessagesToChatOptions {
  /** The name the request was sent upstream with, until the backend names itself. */
  requestModel: string;
  /** The client asked for `stream_options.include_usage`. */
  includeUsage: boolean;
  /** `created` of every chunk (seconds since the epoch). */
  created: number;
  /**
   * Characters of chunks held for tool calls opened while an earlier call's block was still open, at most (see `live`):
   * what a backend can make the gateway hold by never stopping the first block (limits.maxEventBytes; 16 Mi if unset).
   */
  maxHeld?: number;
  /** Stop sequences the backend was not sent (whitespace alone, which Anthropic refuses): the answer stops at them here. */
  stops?: readonly string[];
}

/** A tool_use block's call: what of its input the client has, and its chunks held while an earlier call is live. */
interface ToolCall {
  call: number;
  startInput: string;
  deltas: boolean;
  wrote: boolean;
  early: boolean;
  /** Its block stopped (or the answer ended). */
  closed: boolean;
  /** Its chunks, held until it is live; undefined once it is. */
  held: HeldText | undefined;
}

export class MessagesToChatStream extends TranslatorEnding implements StreamTranslator {
  private head = '';
  /**
   * Anthropic block index → OpenAI tool_calls index, for the tool_use blocks still open, and what of its input the
   * client has. The input a block opened with (serialised, `""` when empty) is held until the block closes and goes
   * out then only if no input_json_delta came: the Anthropic SDK reads the deltas' JSON instead of it (sent at once,
   * the client got `{"a":1}{"b":2}`), and `{}` when they were all empty. A call without either gets `"{}"` — `""` is
   * not JSON, and openai-node's chat.completions.stream() parses a strict tool's arguments. One block's input is held
   * at most: when another tool_use block opens, a held input goes out (`early`), and a delta for that block after it
   * is refused — 16 open blocks of 8 MiB inputs held 129 MiB. Anthropic opens one block at a time.
   */
  private readonly tools = new Map<number, ToolCall>();
  /**
   * The tool call whose chunks go out as they come. openai-node's chat.completions.stream() takes a call as done when a
   * chunk names another one, and parses a strict tool's arguments then: input_json_delta of two open blocks interleaved
   * (0, 1, 0), sent as they came, made it parse call 0's first half (a SyntaxError that threw the answer away), and
   * left its `done` events with half arguments. A call opened while another is live is held (`queued`, its chunks in
   * `held`) until the live one's block stops, so each call's chunks reach the client together and in order —
   * `maxHeld` at most. Anthropic opens one block at a time: nothing is held then.
   */
  private live: ToolCall | undefined;
  private readonly queued: ToolCall[] = [];
  private heldChars = 0;
  /**
   * The kind of each block opened, in the order content_block_start opened them: the Anthropic SDK adds a delta to
   * `content.at(index)`, the block at that place, and only to a block of the delta's kind. Read without it, a text_delta
   * into a thinking block (or into a tool_use block after its stop) reached the OpenAI client as the answer's content,
   * where the SDK reads nothing: reasoning shown as the answer. A byte a block, grown as blocks open.
   */
  private kinds = new Uint8Array(16);
  private blocks = 0;
  /** Tool calls started so far: the next one's OpenAI index (indexes are never reused). */
  private toolCalls = 0;
  private finished = false;
  /** See StreamTranslator.outputEstimate: the text, reasoning and tool input the deltas carried. */
  outputEstimate = 0;
  /**
   * message_start's output count is a placeholder (Anthropic sends 1): only a message_delta's usage is the
   * answer's. Until one came, the output is the larger of it and the estimate — for the client and accounting.
   */
  outputProvisional = true;
  /** A stop sequence the backend was not sent ended the answer (StreamTranslator.endedEarly). */
  endedEarly = false;
  /** The answer's text read for the stops the backend was not sent (local-stop.ts); undefined without any. */
  private readonly stop: LocalStop | undefined;

  constructor(
    private readonly opts: MessagesToChatOptions,
    scrub?: Scrub,
  ) {
    super(scrub);
    this.stop = opts.stops?.length ? new LocalStop(opts.stops) : undefined;
  }

  push(ev: SseEvent): string | undefined {
    if (this.completed || this.error) return undefined;
    if (ev.data === undefined) return ev.comments.length ? KEEP_ALIVE : undefined;
    // Read as the Anthropic SDK reads it (core/streaming.js): an event without an `event:` line, or named `ping`, is
    // skipped; one named `error` throws; every other is read by its data's `type`, whatever its name. Read by name,
    // `event: message_stop` with `{"type":"ping"}` mid-stream ended the answer with a clean [DONE] where the SDK
    // reads on; read by type alone, an unnamed `message_stop` did. An error, named or not, is what it says it is.
    const name = ev.event;
    if (name === 'ping') return KEEP_ALIVE;
    const json = parseData(ev.data);
    const type = json && typeof json === 'object' ? (json as { type?: unknown }).type : undefined;
    if (name === 'error' || type === 'error') {
      const e = ErrorBody.safeParse(json);
      const what = e.success ? `${e.data.error.type}: ${e.data.error.message}` : 'unreadable error event';
      this.backendError = true;
      return this.abort(aigwError('upstream_stream_error', `backend stream error (${what})`));
    }
    // The SDK skips empty data too.
    if (name === undefined || !ev.data) return undefined;
    if (typeof type !== 'string') return this.abort(unreadable('an event without a type'));
    if (type === 'ping') return KEEP_ALIVE;
    if (type === 'message_start') return this.start(json, ev.data);
    if (!this.head) return this.abort(unreadable(`a ${type} event before message_start`));
    switch (type) {
      case 'content_block_start':
        return this.blockStart(json, ev.data);
      case 'content_block_delta':
        return this.blockDelta(json);
      case 'message_delta':
        return this.messageDelta(json);
      case 'message_stop':
        return this.finish();
      case 'content_block_stop': {
        // Deltas after a block's stop are not its own.
        const index = (json as { index?: unknown }).index;
        return typeof index === 'number' ? this.closeTool(index) : undefined;
      }
      default:
        // Event types newer than this translator: nothing for the client.
        return undefined;
    }
  }

  protected errorFrame(err: AigwError): string {
    return renderStreamErrorFrame(err);
  }

  /**
   * Never enough: an Anthropic stream ends with message_stop, and the Anthropic SDK refuses one that ends
   * without it, as the pass-through relay does. A clean close after message_delta is a cut, not an end.
   */
  protected stopSeen(): boolean {
    return false;
  }

  /** `data`: the event's JSON text, where a tool_use block's opening input is read as the backend wrote it. */
  private start(json: unknown, data: string): string {
    const e = MessageStartAnyUsage.safeParse(json);
    if (!e.success) return this.abort(unreadable('a message_start without a message'));
    if (this.head) return this.abort(unreadable('a second message_start'));
    const m = e.data.message;
    const long = overlongName(m.id, m.model);
    if (long) return this.abort(long);
    this.model = m.model;
    // Unreadable (a count as a string, or left out), message_start's usage is none: message_delta's, or the estimate.
    const usage = readUsage(m.usage);
    this.usage = usage && usageFromAnthropic(usage);
    this.head = `{"id":${JSON.stringify(m.id)},"object":"chat.completion.chunk","created":${this.opts.created},"model":${JSON.stringify(m.model)}`;
    let out = this.chunk('{"role":"assistant","content":""}', 'null');
    // The SDK's message is message_start's: blocks it opens with (Anthropic's opens with none) are the message's first,
    // each at its place, their text and tool calls the answer's as a content_block_start's are. Given places alone, a
    // backend that sent its answer whole in message_start reached an OpenAI client as an empty one. Text and thinking
    // go out joined, a chunk each between tool calls: a chunk per block, 16 MiB of one-letter blocks in one event made
    // ~24 times as much in chunks (each repeats the answer's id and model), all built at once.
    const held = { text: '', thinking: '' };
    let inputs: number[] | null | undefined;
    for (let i = 0; i < m.content.length; i++) {
      const b = m.content[i]!;
      if (b.type === 'text' || b.type === 'thinking') {
        if (!this.opened(b.type)) return out + this.abort(unreadable(`more than ${MAX_BLOCKS} content blocks`));
        if (b.type === 'text') held.text += b.text;
        else held.thinking += b.thinking;
        continue;
      }
      if (inputs === undefined) {
        const content = memberSpan(data, memberSpan(data, 0, 'message')?.start ?? data.length, 'content');
        const starts = content && elementStarts(data, content.start);
        inputs = starts?.length === m.content.length ? starts : null;
      }
      out += this.heldContent(held);
      if (this.completed) return out;
      out += this.openBlock(i, b, inputs ? inputText(data, inputs[i]!) : undefined) ?? '';
      if (this.error) return out;
    }
    return out + this.heldContent(held);
  }

  /** The text and thinking held (message_start's blocks), as a chunk each; emptied. */
  private heldContent(held: { text: string; thinking: string }): string {
    let out = '';
    if (held.thinking) {
      this.outputEstimate += tokensAtLeast(held.thinking.length);
      out += this.content('reasoning_content', held.thinking);
    }
    if (held.text) {
      this.outputEstimate += tokensAtLeast(held.text.length);
      out += this.content('content', held.text);
    }
    held.text = held.thinking = '';
    return out;
  }

  private blockStart(json: unknown, data: string): string | undefined {
    const e = ContentBlockStartEvent.safeParse(json);
    if (!e.success) return this.abort(unreadable('a malformed content_block_start'));
    const b = e.data.content_block;
    const block = b.type === 'tool_use' ? memberSpan(data, 0, 'content_block') : undefined;
    return this.openBlock(e.data.index, b, block && inputText(data, block.start));
  }

  /**
   * A block opens at the next place, named `index` by the events that follow: what the client is told of it now.
   * `input`: a tool_use block's input as the backend wrote it (a number past 2^53 parsed and written again is another).
   */
  private openBlock(index: number, b: ResponseBlock, input?: string): string | undefined {
    if (!this.opened(b.type)) return this.abort(unreadable(`more than ${MAX_BLOCKS} content blocks`));
    // A block index a backend reuses names the new block: deltas for it must not land in an earlier tool call.
    const closing = this.closeTool(index) ?? '';
    // What a block opens with is output as its deltas are: without it, an answer sent whole in its blocks' starts (or in
    // message_start) and no readable usage was charged a token or so.
    if (b.type === 'text') {
      if (b.text) this.outputEstimate += tokensAtLeast(b.text.length);
      return closing + (b.text ? this.content('content', b.text) : '') || undefined;
    }
    if (b.type === 'thinking') {
      if (b.thinking) this.outputEstimate += tokensAtLeast(b.thinking.length);
      return closing + (b.thinking ? this.content('reasoning_content', b.thinking) : '') || undefined;
    }
    if (b.type !== 'tool_use') return closing || undefined;
    // A tool call ends the run of text a stop is read in: a stop that text holds whole ends the answer before the call.
    const ended = this.endTextRun();
    if (this.completed) return closing + ended;
    if (this.tools.size >= MAX_OPEN_TOOLS) return this.abort(unreadable(`more than ${MAX_OPEN_TOOLS} tool_use blocks open at once`));
    this.contentStarted = true;
    const early = this.sendHeldInputs();
    const i = this.toolCalls++;
    // A backend's input may nest past what JSON.stringify can write (V8's stack): an answer that cannot be translated.
    const args = Object.keys(b.input).length ? (input ?? serialize(b.input)) : '';
    if (args === undefined) return this.abort(unreadable("a tool call's input nested too deeply"));
    if (args) this.outputEstimate += tokensAtLeast(args.length);
    const tool: ToolCall = { call: i, startInput: args, deltas: false, wrote: false, early: false, closed: false, held: undefined };
    this.tools.set(index, tool);
    if (this.live) {
      tool.held = new HeldText();
      this.queued.push(tool);
    } else this.live = tool;
    const call = `{"index":${i},"id":${JSON.stringify(b.id)},"type":"function","function":{"name":${JSON.stringify(b.name)},"arguments":""}}`;
    return closing + ended + early + this.emit(tool, this.chunk(`{"tool_calls":[${call}]}`, 'null'));
  }

  /** Notes the kind of the block at the next place; false past MAX_BLOCKS. */
  private opened(type: string): boolean {
    if (this.blocks === MAX_BLOCKS) return false;
    if (this.blocks === this.kinds.length) {
      const grown = new Uint8Array(this.kinds.length * 2);
      grown.set(this.kinds);
      this.kinds = grown;
    }
    this.kinds[this.blocks++] = type === 'text' ? TEXT_BLOCK : type === 'thinking' ? THINKING_BLOCK : OTHER_BLOCK;
    return true;
  }

  /**
   * Ends the tool call of block `index`, if it is one: a call that had no argument text gets what the SDK reads —
   * `{}` after deltas that were all empty, else the input its block opened with, or `"{}"`.
   */
  private closeTool(index: number): string | undefined {
    const tool = this.tools.get(index);
    if (!tool) return undefined;
    this.tools.delete(index);
    tool.closed = true;
    const out = (tool.wrote ? '' : this.arguments(tool, tool.deltas ? '{}' : tool.startInput || '{}')) + this.nextLive(tool);
    return out || undefined;
  }

  /** `text`, a chunk of `tool`'s: sent when it is the live call, else held (refused past `maxHeld`). */
  private emit(tool: ToolCall, text: string): string {
    if (this.error) return '';
    if (!tool.held) return text;
    this.heldChars += text.length;
    const max = this.opts.maxHeld ?? 16 * 1024 ** 2;
    if (this.heldChars > max) {
      return this.abort(unreadable(`more than ${max} characters of tool calls sent while an earlier call was open`));
    }
    tool.held.push(text);
    return '';
  }

  /** After `closed`'s block stopped: if it was the live call, the calls queued behind it, as far as the next open one. */
  private nextLive(closed: ToolCall): string {
    if (this.live !== closed || this.error) return '';
    this.live = undefined;
    let out = '';
    for (let next = this.queued.shift(); next; next = this.queued.shift()) {
      const held = next.held!;
      this.heldChars -= held.length;
      out += held.take();
      next.held = undefined;
      if (!next.closed) {
        this.live = next;
        break;
      }
    }
    return out;
  }

  /** The opening inputs held for open tool calls, sent now: another tool_use block opens. */
  private sendHeldInputs(): string {
    let out = '';
    for (const tool of this.tools.values()) {
      if (!tool.startInput) continue;
      out += this.arguments(tool, tool.startInput);
      tool.startInput = '';
      tool.wrote = tool.early = true;
    }
    return out;
  }

  private arguments(tool: ToolCall, text: string): string {
    return this.emit(tool, this.chunk(`{"tool_calls":[{"index":${tool.call},"function":{"arguments":${JSON.stringify(text)}}}]}`, 'null'));
  }

  /** Ends every tool call still open (a backend that skipped content_block_stop). */
  private closeTools(): string {
    let out = '';
    for (const index of [...this.tools.keys()]) out += this.closeTool(index) ?? '';
    return out;
  }

  private blockDelta(json: unknown): string | undefined {
    const deltaType = (json as { delta?: { type?: unknown } }).delta?.type;
    if (typeof deltaType === 'string' && !DELTA_TYPES.has(deltaType)) return undefined;
    const e = readBlockDelta(json);
    if (!e) return this.abort(unreadable('a malformed content_block_delta'));
    const d = e.delta;
    this.outputEstimate += tokensAtLeast(
      d.type === 'text_delta'
        ? d.text.length
        : d.type === 'thinking_delta'
          ? d.thinking.length
          : d.type === 'input_json_delta'
            ? d.partial_json.length
            : 0,
    );
    const tool = this.tools.get(e.index);
    if (d.type !== 'input_json_delta') {
      // Text for a tool_use block: the Anthropic SDK adds a delta only to a block of its kind, so it is no answer.
      if (tool !== undefined) return undefined;
      const kind = e.index < this.blocks ? this.kinds[e.index] : undefined;
      // '' when the text is held for a stop sequence it may begin.
      if (d.type === 'text_delta') return (d.text && kind === TEXT_BLOCK && this.content('content', d.text)) || undefined;
      return d.type === 'thinking_delta' && d.thinking && kind === THINKING_BLOCK
        ? this.content('reasoning_content', d.thinking)
        : undefined;
    }
    if (tool === undefined) {
      return d.partial_json ? this.abort(unreadable(`tool input for block ${e.index}, which is not a tool_use block`)) : undefined;
    }
    // The SDK reads the deltas' JSON from the first delta on, an empty one too: the opening input is not the input.
    if (tool.early) return this.abort(unreadable(`tool input for block ${e.index} after another tool_use block opened`));
    tool.deltas = true;
    tool.startInput = '';
    if (!d.partial_json) return undefined;
    tool.wrote = true;
    return this.arguments(tool, d.partial_json) || undefined;
  }

  private messageDelta(json: unknown): string | undefined {
    const e = MessageDeltaAnyUsage.safeParse(json);
    if (!e.success) return this.abort(unreadable('a malformed message_delta'));
    // Unreadable, the usage is none: the output stays the estimate (outputProvisional).
    const usage = readDeltaUsage(e.data.usage);
    if (usage) {
      this.usage = usageFromAnthropic(usage, this.usage);
      this.outputProvisional = false;
    }
    const reason = e.data.delta.stop_reason;
    if (reason === undefined || reason === null || this.finished) return undefined;
    const ended = this.endTextRun();
    if (this.completed) return ended;
    this.finished = true;
    const closing = ended + this.closeTools();
    if (this.error) return closing;
    return closing + this.chunk('{}', JSON.stringify(finishReasonWithCalls(reason, this.toolCalls > 0)));
  }

  protected finish(): string {
    // Text held for a stop that did not come goes first: overwritten, a message_stop with no message_delta before it
    // lost the answer's trailing whitespace.
    let out = this.endTextRun();
    if (this.completed) return out;
    if (!this.finished) {
      out += this.closeTools();
      if (this.error) return out;
      out += this.chunk('{}', '"stop"');
    }
    this.finished = true;
    if (this.outputProvisional && this.usage) this.usage = { ...this.usage, output: Math.max(this.usage.output, this.outputEstimate) };
    if (this.opts.includeUsage) {
      // A backend whose usage could not be read: the client is told the output accounting charges, the estimate.
      const usage = JSON.stringify(chatUsageOf(this.usage ?? { input: 0, output: this.outputEstimate, cacheRead: 0, cacheCreation: 0 }));
      out += openAIFrame(`${this.head},"choices":[],"usage":${usage}}`);
    }
    this.completed = true;
    return out + SSE_DONE;
  }

  private content(field: 'content' | 'reasoning_content', text: string): string {
    if (this.completed) return '';
    this.contentStarted = true;
    if (!this.stop) return this.chunk(`{"${field}":${JSON.stringify(text)}}`, 'null');
    if (field !== 'content') {
      const ended = this.endTextRun();
      return this.completed ? ended : ended + this.chunk(`{"${field}":${JSON.stringify(text)}}`, 'null');
    }
    const read = this.stop.feed(text);
    const out = read.out ? this.frame(`{"content":${JSON.stringify(read.out)}}`, 'null') : '';
    return read.stopped ? out + this.stopHere() : out;
  }

  /**
   * A stop sequence the backend was not sent came: the answer ends here, as the backend would have ended it — what is
   * open closed, finish_reason stop, the usage so far and [DONE]. The rest of the backend's stream is not the answer's.
   */
  private stopHere(): string {
    this.endedEarly = true;
    let out = '';
    if (!this.finished) {
      this.finished = true;
      out += this.closeTools();
      if (this.error) return out;
      out += this.frame('{}', '"stop"');
    }
    return out + this.finish();
  }

  /**
   * The run of text a stop is read in ends (reasoning or a tool call follows, or the answer ends): what it holds goes out,
   * cut at a stop it holds whole (a longer one it might have begun can no longer come) — which ends the answer there.
   */
  private endTextRun(): string {
    const r = this.stop?.flush();
    if (!r) return '';
    const out = r.out ? this.frame(`{"content":${JSON.stringify(r.out)}}`, 'null') : '';
    return r.stopped ? out + this.stopHere() : out;
  }

  /** The text held for a stop that did not come (it may begin one), as its chunk; '' when none is held. */
  private heldText(): string {
    const text = this.stop?.release();
    return text ? this.frame(`{"content":${JSON.stringify(text)}}`, 'null') : '';
  }

  /** A chunk; any text held for a stop goes before it, in the order the backend sent them. */
  private chunk(delta: string, finishReason: string): string {
    return this.heldText() + this.frame(delta, finishReason);
  }

  private frame(delta: string, finishReason: string): string {
    return openAIFrame(`${this.head},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finishReason}}]}`);
  }
}

/**
 * The JSON text of the `input` of the block at `at` in `data`, if it has one — its own copy: a slice is a view that
 * keeps the whole event alive (V8), and the input is held until its block closes, which a backend may never do — an
 * event of maxEventBytes kept for as long as the stream lasts, where its input is a few characters.
 */
function inputText(data: string, at: number): string | undefined {
  const input = memberSpan(data, at, 'input');
  return input && ownString(data.slice(input.start, input.end));
}
