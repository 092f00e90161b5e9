/**
 * `--api anthropic`: the bench speaks Anthropic's Messages API to the target (`POST /v1/messages`) and reads
 * what comes back as the OpenAI shapes its scenarios read, so they run unchanged — a chat body becomes a
 * Messages body; a Message becomes a chat completion; Anthropic's events become chunks (text deltas →
 * `delta.content`, message_delta's usage → a usage chunk, message_stop → `[DONE]`, an error event → the error
 * frame); an error body keeps its status and its type as the code (a 429's type: the limit it names). An
 * Anthropic answer carries no system_fingerprint, so the answering backend is read from `x-aigw-backend` (aigw)
 * or `x-mock-backend`.
 * Written apart from the gateway's translators on purpose: the bench judges them as a stranger.
 */
import type { SseEvent } from '../openai/sse.js';

export type BenchApi = 'openai' | 'anthropic';

export const MESSAGES_PATH = '/v1/messages';

/** Anthropic requires max_tokens; the bench's own requests always give one, a workload line may not. */
const DEFAULT_MAX_TOKENS = 1024;

type Json = Record<string, unknown>;

function parse(text: string): Json | undefined {
  try {
    const j = JSON.parse(text) as unknown;
    return j && typeof j === 'object' && !Array.isArray(j) ? (j as Json) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A system message's text, as Anthropic's `system` string takes it: its string, or the text of its parts. A workload
 * line may give a system message as parts ([{"type":"text","text":…}]); String() of them sent "[object Object]" as
 * the system prompt, and the run measured a prompt the file never held.
 */
function systemText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (p && typeof p === 'object' && typeof (p as Json).text === 'string' ? (p as Json).text : '')).join('');
}

/** A chat completions body as a Messages body: system messages hoisted, no seed or stream_options (Anthropic has neither). */
export function messagesBody(chat: Json): Json {
  const messages = Array.isArray(chat.messages) ? (chat.messages as { role?: unknown; content?: unknown }[]) : [];
  const system = messages.filter((m) => m.role === 'system').map((m) => systemText(m.content));
  const out: Json = {
    model: chat.model,
    max_tokens: chat.max_tokens ?? chat.max_completion_tokens ?? DEFAULT_MAX_TOKENS,
    messages: messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role, content: m.content })),
  };
  if (system.length) out.system = system.join('\n');
  if (chat.stream === true) out.stream = true;
  return out;
}

/**
 * The answering backend of an Anthropic answer: the mock's own header (the backend's word, as an OpenAI answer's
 * system_fingerprint is), else the gateway's. Read the gateway's first, a gateway naming a 50/50 alternation over answers all
 * from one mock read as a right split under `--api anthropic` — the lie split.ts closed for OpenAI's answers.
 */
export function backendOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const mock = headers['x-mock-backend'];
  const v = typeof mock === 'string' && mock ? mock : headers['x-aigw-backend'];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The limit a `rate_limit_error` names, in the words of OpenAI-shaped 429s (whose type is the limit kind), or
 * undefined. Anthropic's body has one type for every 429 and aigw's Anthropic paths send no header naming the
 * kind, so the message is all there is: aigw's "Rate limit reached for KEY on concurrency|requests|tokens|budget",
 * Anthropic's "Number of concurrent connections|request tokens|requests has exceeded your rate limit".
 */
export function limitKindOf(message: string): string | undefined {
  const aigw = /\bon (concurrency|requests|tokens|budget)\b/.exec(message);
  if (aigw) return aigw[1];
  // Tokens before requests: "request tokens" is a token limit.
  if (/concurren/i.test(message)) return 'concurrency';
  if (/\btokens\b/i.test(message)) return 'tokens';
  if (/\brequests\b/i.test(message)) return 'requests';
  return undefined;
}

/**
 * Anthropic's error body as OpenAI's, its type as the code (`overloaded_error`, `rate_limit_error`); a
 * rate_limit_error's type is the limit its message names, when it names one, so the pacer learns from it.
 */
function errorAsChat(e: unknown): Json {
  const o = e && typeof e === 'object' ? (e as Json) : {};
  const code = typeof o.type === 'string' ? o.type : 'error';
  const message = typeof o.message === 'string' ? o.message : '';
  const type = (code === 'rate_limit_error' && limitKindOf(message)) || code;
  return { error: { message, type, code } };
}

function isTextBlock(b: unknown): b is { type: 'text'; text: string } {
  return !!b && typeof b === 'object' && (b as Json).type === 'text' && typeof (b as Json).text === 'string';
}

/** A Message (or an error) as the chat completion (or the error) the scenarios read; other bodies unchanged. */
export function chatFromMessage(body: Buffer, backend: string | undefined): Buffer {
  const j = body.length ? parse(body.toString('utf8')) : undefined;
  if (!j) return body;
  if (j.type === 'error') return Buffer.from(JSON.stringify(errorAsChat(j.error)));
  if (j.type !== 'message') return body;
  // A block may be anything the target wrote: `[null]` read as an object threw, in stream() out of the scenario.
  const blocks = Array.isArray(j.content) ? (j.content as unknown[]) : [];
  const content = blocks.map((b) => (isTextBlock(b) ? b.text : '')).join('');
  const u = (j.usage ?? {}) as { input_tokens?: number; output_tokens?: number };
  const chat = {
    id: j.id,
    object: 'chat.completion',
    model: j.model,
    ...(backend ? { system_fingerprint: backend } : {}),
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: j.stop_reason === 'max_tokens' ? 'length' : 'stop' }],
    usage: { prompt_tokens: u.input_tokens ?? 0, completion_tokens: u.output_tokens ?? 0 },
  };
  return Buffer.from(JSON.stringify(chat));
}

/** One stream's Anthropic events as the chunks the scenarios read (undefined: nothing a scenario reads). */
export class EventsToChunks {
  private input = 0;

  constructor(private readonly backend: string | undefined) {}

  /**
   * One event as @anthropic-ai/sdk reads it (core/streaming.js): one without an `event:` line, or named `ping`, is
   * skipped; one named `error` fails the stream whatever its data; any other is parsed (data that is not JSON
   * throws in the SDK, and fails the stream here as `invalid_event`, what an OpenAI stream's unreadable event is)
   * and read by its data's type, whatever its name. Read by type alone, a stream whose `event:` lines a gateway
   * dropped — nothing to the SDK: 'request ended without sending any chunks' — was a whole answer, all its text
   * counted; and a named delta of garbled data, on which the SDK's stream throws, was skipped and the stream
   * counted whole. An unnamed error is still an error, as aigw's own tap reads one: a gateway that sends it fails.
   */
  map(ev: SseEvent): SseEvent | undefined {
    if (ev.data === undefined) return undefined;
    const name = ev.event;
    if (name === 'ping') return undefined;
    const chunk = (o: Json): SseEvent => ({ event: undefined, id: undefined, comments: [], data: JSON.stringify(o) });
    const j = parse(ev.data);
    if (!j && name !== undefined && name !== 'error') {
      // The SDK skips an empty one (`if (!sse.data) continue`).
      return ev.data
        ? chunk({ error: { message: 'an event whose data is not a JSON object', type: 'invalid_event', code: 'invalid_event' } })
        : undefined;
    }
    const type = name === 'error' ? 'error' : j?.type;
    if (name === undefined && type !== 'error') return undefined;
    const fp = this.backend ? { system_fingerprint: this.backend } : {};
    switch (type) {
      case 'message_start': {
        const u = ((j?.message as Json | undefined)?.usage ?? {}) as { input_tokens?: number };
        this.input = u.input_tokens ?? 0;
        return chunk({ ...fp, choices: [{ index: 0, delta: { role: 'assistant' } }] });
      }
      case 'content_block_start': {
        // The SDK keeps the text a block starts with (its MessageStream pushes the block, then appends the deltas): a
        // translator that puts its first text there gave the client the answer whole, and the bench read it short.
        const b = j?.content_block;
        return isTextBlock(b) && b.text !== '' ? chunk({ ...fp, choices: [{ index: 0, delta: { content: b.text } }] }) : undefined;
      }
      case 'content_block_delta': {
        const d = (j?.delta ?? {}) as { type?: unknown; text?: unknown };
        return d.type === 'text_delta' && typeof d.text === 'string'
          ? chunk({ ...fp, choices: [{ index: 0, delta: { content: d.text } }] })
          : undefined;
      }
      case 'message_delta': {
        const u = (j?.usage ?? {}) as { input_tokens?: number; output_tokens?: number };
        // Its stop_reason is the answer's finish (a tool call's answer has no text): a stream without one ended nothing.
        const stop = ((j?.delta ?? {}) as { stop_reason?: unknown }).stop_reason;
        return chunk({
          ...fp,
          choices:
            typeof stop === 'string' && stop ? [{ index: 0, delta: {}, finish_reason: stop === 'max_tokens' ? 'length' : 'stop' }] : [],
          usage: { prompt_tokens: u.input_tokens ?? this.input, completion_tokens: u.output_tokens ?? 0 },
        });
      }
      case 'message_stop':
        return { event: undefined, id: undefined, comments: [], data: '[DONE]' };
      case 'error':
        return chunk(errorAsChat(j?.error));
      default:
        return undefined;
    }
  }
}
