/**
 * The JSON Anthropic's Messages API answers, as fixed fragments around the generated text (so any length
 * streams with flat memory): the Message body, and the event sequence `message_start`,
 * `content_block_start`, `ping`, `content_block_delta`…, `content_block_stop`, `message_delta`, `message_stop`.
 */
import { anthropicErrorType } from '../anthropic/error-shape.js';
import type { Framing } from './framing.js';

export interface AnthropicAnswer {
  id: string;
  model: string;
  /** Prompt tokens not read from or written to the cache. */
  inputTokens: number;
  cacheRead: number;
  cacheWrite: number;
  outputTokens: number;
}

const PING = 'event: ping\ndata: {"type": "ping"}\n\n';
const STOP = 'event: message_stop\ndata: {"type":"message_stop"}\n\n';

const event = (type: string, data: string) => `event: ${type}\ndata: ${data}\n\n`;

function usage(a: AnthropicAnswer, output: number): string {
  return (
    `{"input_tokens":${a.inputTokens},"cache_creation_input_tokens":${a.cacheWrite},` +
    `"cache_read_input_tokens":${a.cacheRead},"output_tokens":${output}}`
  );
}

function messageHead(a: AnthropicAnswer): string {
  return `{"id":${JSON.stringify(a.id)},"type":"message","role":"assistant","model":${JSON.stringify(a.model)}`;
}

function messageStart(a: AnthropicAnswer): string {
  const message = `${messageHead(a)},"content":[],"stop_reason":null,"stop_sequence":null,"usage":${usage(a, Math.min(1, a.outputTokens))}}`;
  return event('message_start', `{"type":"message_start","message":${message}}`);
}

/**
 * `withUsage` false (the no-usage quirk): a backend that does not count what it generated writes an output of 0, not
 * no usage. Anthropic always sends the usage, and the SDK reads it unguarded: without one,
 * `messages.stream().finalMessage()` threw a TypeError reading this mock directly, no gateway between — the quirk
 * tested a stream no backend can serve an SDK client with. A 0 beside output is no count to the gateway either: it
 * charges what the events carried (relay/exchange.ts, recordStreamUsage).
 */
function messageDelta(stopReason: string, a: AnthropicAnswer, withUsage: boolean): string {
  const u = `,"usage":{"output_tokens":${withUsage ? a.outputTokens : 0}}`;
  return event('message_delta', `{"type":"message_delta","delta":{"stop_reason":"${stopReason}","stop_sequence":null}${u}}`);
}

/** A text answer of exactly max_tokens tokens: it stops for that reason. `withUsage`: message_delta counts the output (no no-usage quirk). */
export function anthropicFraming(a: AnthropicAnswer, withUsage: boolean): Framing {
  const delta = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"';
  return {
    body: {
      before: `${messageHead(a)},"content":[{"type":"text","text":"`,
      after: `"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":${usage(a, a.outputTokens)}}`,
    },
    head: [
      messageStart(a),
      event('content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}'),
      PING,
    ],
    chunk: { before: delta, after: '"}}\n\n', lastAfter: '"}}\n\n' },
    tail: [event('content_block_stop', '{"type":"content_block_stop","index":0}'), messageDelta('max_tokens', a, withUsage)],
    done: STOP,
    ping: PING,
    error: anthropicErrorEvent(529, 'Overloaded'),
  };
}

/** An answer calling one tool: as a Message, and as events (`done`: end with message_stop), made as they are read. */
export function anthropicToolUse(
  a: AnthropicAnswer,
  call: { id: string; name: string; input: string },
  fragments: Iterable<string>,
  withUsage: boolean,
  done: boolean,
  /** max_tokens cut the input: the stream's partial_json stops short and the Message's input (an object) is empty. */
  cut = false,
): { body: string; events: Iterable<string> } {
  const block = `{"type":"tool_use","id":${JSON.stringify(call.id)},"name":${JSON.stringify(call.name)},"input":`;
  const stop = cut ? 'max_tokens' : 'tool_use';
  const input = cut ? '{}' : call.input;
  const body = `${messageHead(a)},"content":[${block}${input}}],"stop_reason":"${stop}","stop_sequence":null,"usage":${usage(a, a.outputTokens)}}`;
  function* events(): Generator<string> {
    yield messageStart(a);
    yield event('content_block_start', `{"type":"content_block_start","index":0,"content_block":${block}{}}}`);
    yield PING;
    for (const f of fragments) {
      const delta = `{"type":"input_json_delta","partial_json":${JSON.stringify(f)}}`;
      yield event('content_block_delta', `{"type":"content_block_delta","index":0,"delta":${delta}}`);
    }
    yield event('content_block_stop', '{"type":"content_block_stop","index":0}');
    yield messageDelta(stop, a, withUsage);
    if (done) yield STOP;
  }
  return { body, events: events() };
}

/** Anthropic's error body; 529 is `overloaded_error`. */
export function anthropicErrorJson(status: number, message: string, requestId?: string): string {
  const rid = requestId === undefined ? '' : `,"request_id":${JSON.stringify(requestId)}`;
  return `{"type":"error","error":{"type":"${anthropicErrorType(status)}","message":${JSON.stringify(message)}}${rid}}`;
}

/** The mid-stream `event: error`. */
export function anthropicErrorEvent(status: number, message: string): string {
  return event('error', anthropicErrorJson(status, message));
}
