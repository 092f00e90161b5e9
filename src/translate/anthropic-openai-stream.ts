/**
 * Anthropic client → OpenAI backend, the stream: chat completion chunks become Anthropic's event sequence,
 * event by event — `message_start` and a `ping` on the first chunk; `content_block_start`/`_delta`/`_stop`
 * for reasoning (thinking), text and each tool call; `message_delta` once the finish reason and the usage
 * are known; `message_stop` on `[DONE]`. Only the open block and the stop reason are remembered.
 */
import { type AigwError, aigwError } from '../core/errors.js';
import { HeldText } from '../core/held-text.js';
import type { Scrub } from '../core/scrub.js';
import { renderAnthropicStreamError } from '../anthropic/error-shape.js';
import type { SseEvent } from '../openai/sse.js';
import { readChatChunk, readChatUsage } from './fast-read.js';
import { tokensAtLeast } from './output-estimate.js';
import { JsonObjectPrefix } from './json-prefix.js';
import type { ChunkToolCall } from './openai-chat.js';
import {
  givenToolId,
  anthropicUsageOf,
  argumentsObject,
  generatedCallId,
  isCutFinish,
  isLimitFinish,
  overlongName,
  type StopInfo,
  stopReasonWithCalls,
  usageFromChat,
} from './mapping.js';
import { anthropicFrame, parseData, type StreamTranslator, streamErrorIn, TranslatorEnding } from './stream.js';

type BlockKind = 'thinking' | 'text' | 'tool';

const PING = anthropicFrame('ping', '{"type":"ping"}');
/**
 * A backend's keep-alive before its first chunk, when there is no message to ping in yet (Anthropic's API sends its
 * `ping` after `message_start`): a comment, which every SSE reader skips. Dropped, a backend that kept its connection
 * alive through a long prefill (OpenRouter's `: OPENROUTER PROCESSING`) sent the client nothing until its first token.
 */
const KEEP_ALIVE = ': ping\n\n';
const NO_FINISH = aigwError('upstream_stream_error', "the backend's stream ended without a finish_reason");
/**
 * Tool calls one chunk may start. Each start costs the client a block's frames (~500 bytes with an id made from the
 * answer's) where the chunk spends ~40 on it: one 16 MiB chunk of starts was 203 MB of frames built at once (400 MB of
 * heap for one event under limits.maxEventBytes). OpenAI and vLLM start one call a chunk; a server that sends its
 * calls whole sends an answer's few.
 */
const MAX_CALL_STARTS = 128;

/** The most whitespace held before it goes out as the text block it opens (see `blank`). */
const MAX_BLANK = 4096;

export class ChatToMessagesStream extends TranslatorEnding implements StreamTranslator {
  private started = false;
  private id = '';
  private open: { kind: BlockKind; index: number } | undefined;
  private nextIndex = 0;
  /** The tool_calls index of the tool call whose block is open (when `open` is a tool's). */
  private openCall = -1;
  /**
   * The highest tool_calls index started (-1: none). OpenAI, Azure and vLLM number calls 0, 1, 2… as they start
   * them (openai-node would take any order), so an index at or below it that is not the open call's is a closed
   * call's, or one going back: refused, as a late delta for a closed block always was. Each index remembered, a
   * backend that streamed a million calls held ~29 MiB for the stream's life.
   */
  private lastCall = -1;
  /** The backend's id of the open tool call ('' when it gave none): what a delta without an index is matched to. */
  private openCallId = '';
  private stop: StopInfo | undefined;
  private deltaSent = false;
  /**
   * The argument text of the open tool_use block: checked to be a JSON object when the block closes. Joined as it
   * comes (core/held-text.ts): a string appended to a piece at a time held ~20 bytes a character sent one a chunk.
   */
  private readonly args = new HeldText();
  /**
   * The open tool_use block's input_json_delta has begun: its arguments held text that is not blank. Blank text before
   * it is not sent — JSON ignores it, and the Anthropic SDK parses a block's deltas at its stop: arguments `" "` (no
   * arguments, `{}` to the check) went out as partial_json `" "`, `JSON.parse("")` to the SDK, which threw.
   */
  private argsBegun = false;
  /**
   * What of the open tool_use block's arguments went out is still the start of a JSON object. The Anthropic SDK parses
   * a block's deltas at its content_block_stop and throws for text that is not the start of JSON; a call the token
   * limit cut is closed without the check below, and arguments `{"a":1}}` cut so made the SDK throw the whole answer
   * away. Text past where the arguments stop being a JSON object is not sent: a call that finishes so is refused at
   * its stop all the same, and one cut by the limit ends where its JSON did, with stop_reason max_tokens. Made at the
   * first argument text, and reset for each call.
   */
  private argsShape: JsonObjectPrefix | undefined;
  /**
   * Text of whitespace alone that would open a text block, held: vLLM's tool parsers leave the blank lines before a call
   * as content, and a text block of them, sent back in the client's history to an Anthropic target, is Anthropic's 400
   * ("must contain non-whitespace text"). Dropped when a tool call starts; the start of the next text otherwise.
   */
  private blank = '';
  /** Tool calls the chunk being read started (MAX_CALL_STARTS). */
  private callStarts = 0;
  /** See StreamTranslator.outputEstimate: the text, reasoning and tool arguments the chunks carried. */
  outputEstimate = 0;

  /** `model`: the name the request was sent upstream with, until the backend names itself. */
  constructor(
    private readonly requestModel: string,
    scrub?: Scrub,
    /** A tool call's arguments are held until its block closes (to check they make a JSON object): at most this. */
    private readonly maxArguments = 16 * 1024 ** 2,
  ) {
    super(scrub);
  }

  push(ev: SseEvent): string | undefined {
    if (this.completed || this.error) return undefined;
    if (ev.data === undefined) return ev.comments.length ? (this.started ? PING : KEEP_ALIVE) : undefined;
    // openai-node refuses a stream that ends without a finish_reason: the answer was cut, not finished.
    if (ev.data === '[DONE]') return this.stop ? this.finish() : this.abort(NO_FINISH);
    const json = parseData(ev.data);
    const backendError = streamErrorIn(json);
    if (backendError) {
      this.backendError = true;
      return this.abort(aigwError('upstream_stream_error', `backend stream error: ${backendError.message}`));
    }
    const chunk = readChatChunk(json);
    if (!chunk)
      return this.abort(aigwError('bad_upstream_response', 'the backend sent a stream event that is not a chat completion chunk'));
    // Azure opens a stream with a chunk of only prompt_filter_results (no choices, an empty id and model): nothing to say yet.
    if (!this.started && !chunk.choices?.length && !chunk.usage) return undefined;
    if (!this.started) {
      const long = overlongName(chunk.id, chunk.model);
      if (long) return this.abort(long);
    }
    let out = this.started ? '' : this.start(chunk.id, chunk.model);
    const choice = chunk.choices?.[0];
    const delta = choice?.delta;
    if (delta) {
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (reasoning) out += this.text('thinking', reasoning);
      if (delta.content) out += this.text('text', delta.content);
      // A refusal is what the model said instead of an answer; the non-streamed answer makes it a text block too.
      if (delta.refusal) out += this.text('text', delta.refusal);
      if (this.error) return out;
      this.callStarts = 0;
      for (const call of delta.tool_calls ?? []) {
        const r = this.toolCall(call);
        if (r === undefined) return this.error ? out + renderAnthropicStreamError(this.error) : out;
        out += r;
      }
    }
    if (isCutFinish(choice?.finish_reason)) {
      this.backendGaveUp = true;
      return (
        out + this.abort(aigwError('upstream_stream_error', `the backend gave up on its answer (finish_reason ${choice!.finish_reason})`))
      );
    }
    if (choice?.finish_reason && !this.stop) {
      const finish = choice.finish_reason;
      out += this.sendBlank();
      if (this.error) return out;
      this.stop = stopReasonWithCalls(finish, choice.stop_reason, this.lastCall >= 0);
      // Cut by the limit, a call's arguments end mid-JSON: Anthropic streams them so too, with max_tokens.
      out += this.close(!isLimitFinish(finish));
      if (this.error) return out;
    }
    // A usage that cannot be read (a count as a string, or left out) is none: the answer is told and charged the estimate.
    const usage = readChatUsage(chunk.usage);
    if (usage) this.usage = usageFromChat(usage);
    // The request asked for include_usage (anthropic-openai.ts): the usage-only chunk after the finish has the
    // final count. vLLM's continuous usage puts a count so far in every chunk, the finishing one too; sent then,
    // message_delta would tell the client less than accounting charges. [DONE] sends it if no such chunk came.
    if (this.stop && !this.deltaSent && chunk.usage && !chunk.choices?.length) out += this.messageDelta();
    return out || undefined;
  }

  protected errorFrame(err: AigwError): string {
    return renderAnthropicStreamError(err);
  }

  protected stopSeen(): boolean {
    return this.stop !== undefined;
  }

  private start(id: string | undefined, model: string | undefined): string {
    this.started = true;
    this.id = id ?? '';
    this.model = model ?? this.requestModel;
    const message = {
      id: this.id,
      type: 'message',
      role: 'assistant',
      model: this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    return anthropicFrame('message_start', JSON.stringify({ type: 'message_start', message })) + PING;
  }

  /** Text or thinking: continues the open block of that kind, or closes the open one and starts a new one. */
  private text(kind: 'text' | 'thinking', text: string): string {
    if (this.error) return '';
    this.contentStarted = true;
    if (kind === 'text' && this.open?.kind !== 'text') {
      this.outputEstimate += tokensAtLeast(text.length);
      // Held up to MAX_BLANK characters: a backend streaming newlines for good held them all, and sent nothing meanwhile.
      if (text.trim() === '' && this.blank.length + text.length <= MAX_BLANK) {
        this.blank += text;
        return '';
      }
      const whole = this.blank + text;
      this.blank = '';
      return this.block('text', whole);
    }
    this.outputEstimate += tokensAtLeast(text.length);
    return this.block(kind, text);
  }

  /**
   * The whitespace held (`blank`) as the text block it was, at the answer's end — none after a tool call (as the
   * answer sent whole has none): `[tool_use, text "\n"]` is the same 400 back at Anthropic.
   */
  private sendBlank(): string {
    const text = this.blank;
    this.blank = '';
    return text && this.lastCall < 0 ? this.block('text', text) : '';
  }

  /** `text` into the open block of `kind`, or a new one (the open one closed). */
  private block(kind: 'text' | 'thinking', text: string): string {
    let out = '';
    if (this.open?.kind !== kind) {
      out += this.close();
      if (this.error) return out;
      const block = kind === 'text' ? '{"type":"text","text":""}' : '{"type":"thinking","thinking":"","signature":""}';
      out += this.startBlock(kind, block);
    }
    const delta =
      kind === 'text'
        ? `{"type":"text_delta","text":${JSON.stringify(text)}}`
        : `{"type":"thinking_delta","thinking":${JSON.stringify(text)}}`;
    return out + anthropicFrame('content_block_delta', `{"type":"content_block_delta","index":${this.open!.index},"delta":${delta}}`);
  }

  /**
   * A delta's tool_calls index; inferred when the backend leaves it out (Ollama's OpenAI API, Gemini's, SGLang,
   * mistral.rs), as openai-python and the AI SDK infer it: the open call's when the delta names its id, or names no id
   * and no function (a piece of its arguments); else the next call's. Refused as unreadable, every such chunk was an
   * error event where the client's tool loop wanted its calls.
   */
  private callIndex(call: ChunkToolCall): number {
    if (typeof call.index === 'number') return call.index;
    const open = this.open?.kind === 'tool';
    if (open && (call.id ? call.id === this.openCallId : !call.function?.name)) return this.openCall;
    return this.lastCall + 1;
  }

  /** One tool call delta; undefined when it cannot be translated (this.error is then set). */
  private toolCall(call: ChunkToolCall): string | undefined {
    this.contentStarted = true;
    const at = this.callIndex(call);
    let out = '';
    let index: number;
    if (this.open?.kind === 'tool' && at === this.openCall) index = this.open.index;
    else if (at <= this.lastCall) {
      // Anthropic's blocks are sequential: a closed block cannot receive more input.
      this.error = aigwError(
        'bad_upstream_response',
        `the backend interleaved the arguments of tool call ${at} with other content, or started it after tool call ${this.lastCall}`,
      );
      return undefined;
    } else {
      if (++this.callStarts > MAX_CALL_STARTS) {
        this.error = aigwError('bad_upstream_response', `the backend started more than ${MAX_CALL_STARTS} tool calls in one chunk`);
        return undefined;
      }
      const name = call.function?.name;
      if (!name) {
        this.error = aigwError('bad_upstream_response', `the backend started tool call ${at} without a name`);
        return undefined;
      }
      this.blank = '';
      out += this.close();
      if (this.error) return undefined;
      // As the answer not streamed gives it (anthropic-openai-response.ts): an id Anthropic's API takes.
      const id = givenToolId(call.id || generatedCallId(this.id, at));
      out += this.startBlock('tool', JSON.stringify({ type: 'tool_use', id, name, input: {} }));
      index = this.open!.index;
      this.openCall = this.lastCall = at;
      this.openCallId = call.id ?? '';
      this.argsBegun = false;
      this.argsShape?.reset();
    }
    const args = call.function?.arguments;
    if (args) {
      this.args.push(args);
      if (this.args.length > this.maxArguments) {
        // Held whole for the check, a backend's endless arguments grew the gateway's heap by as much.
        this.error = aigwError(
          'upstream_stream_error',
          `the backend's tool call ${at} sent more than ${this.maxArguments} characters of arguments`,
        );
        this.args.clear();
        return undefined;
      }
      this.outputEstimate += tokensAtLeast(args.length);
      if (!this.argsBegun) {
        // As argumentsObject reads blank (trim): arguments that are only that are `{}`, the block's opening input.
        if (args.trim() === '') return out;
        this.argsBegun = true;
      }
      const json = (this.argsShape ??= new JsonObjectPrefix()).feed(args);
      if (json === 0) return out;
      const delta = `{"type":"input_json_delta","partial_json":${JSON.stringify(json === args.length ? args : args.slice(0, json))}}`;
      out += anthropicFrame('content_block_delta', `{"type":"content_block_delta","index":${index},"delta":${delta}}`);
    }
    return out;
  }

  private startBlock(kind: BlockKind, block: string): string {
    this.open = { kind, index: this.nextIndex++ };
    return anthropicFrame('content_block_start', `{"type":"content_block_start","index":${this.open.index},"content_block":${block}}`);
  }

  /**
   * Closes the open block. A tool_use block's arguments must make a JSON object (the non-streamed answer is a 502
   * otherwise), unless `checkArgs` is false (the answer was cut mid-call): else the stream ends with the error
   * frame, which replaces the block's stop.
   */
  private close(checkArgs = true): string {
    if (!this.open) return '';
    const { index, kind } = this.open;
    this.open = undefined;
    if (kind === 'tool') {
      const args = this.args.take();
      if (checkArgs && argumentsObject(args) === undefined) {
        return this.abort(
          aigwError('bad_upstream_response', `the backend's tool call in block ${index} has arguments that are not a JSON object`),
        );
      }
    }
    return anthropicFrame('content_block_stop', `{"type":"content_block_stop","index":${index}}`);
  }

  private messageDelta(): string {
    this.deltaSent = true;
    const stop = this.stop ?? { reason: 'end_turn', sequence: null };
    // A backend that sent no usage at all (one that ignores include_usage): the client is told the output
    // accounting charges — the estimate from what the chunks carried — rather than none.
    const usage = anthropicUsageOf(this.usage ?? { input: 0, output: this.outputEstimate, cacheRead: 0, cacheCreation: 0 });
    const body = { type: 'message_delta', delta: { stop_reason: stop.reason, stop_sequence: stop.sequence }, usage };
    return anthropicFrame('message_delta', JSON.stringify(body));
  }

  /** The backend's answer is over: close what is open, report the stop and usage, and end the message. */
  protected finish(): string {
    let out = this.started ? '' : this.start(undefined, undefined);
    out += this.sendBlank();
    if (this.error) return out;
    out += this.close();
    if (this.error) return out;
    if (!this.deltaSent) out += this.messageDelta();
    this.completed = true;
    return out + anthropicFrame('message_stop', '{"type":"message_stop"}');
  }
}
