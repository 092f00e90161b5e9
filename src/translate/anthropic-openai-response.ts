/**
 * Anthropic client → OpenAI backend, the answer: a chat completion becomes a Message. A backend answer that
 * cannot be read (not a completion, tool arguments that are not a JSON object) is a 502, never a guess.
 */
import { aigwError } from '../core/errors.js';
import { NO_SCRUB, type Scrub } from '../core/scrub.js';
import { readChatUsage } from './fast-read.js';
import { ChatCompletion } from './openai-chat.js';
import { tokensAtLeast } from './output-estimate.js';
import {
  givenToolId,
  anthropicUsageOf,
  argumentsObject,
  clip,
  generatedCallId,
  isCutFinish,
  isLimitFinish,
  overlongName,
  serialize,
  stopReasonWithCalls,
  unreadable,
  usageFromChat,
} from './mapping.js';
import { type AnswerResult, refusedWritten } from './translated.js';

type OutBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown>; json: string };

/** `scrub`: removes configured secrets from a backend's text quoted in a refusal (before it is cut: see below). */
export function chatToMessage(json: unknown, scrub: Scrub = NO_SCRUB): AnswerResult {
  const parsed = ChatCompletion.safeParse(json);
  if (!parsed.success) return { ok: false, error: unreadable('not a chat completion') };
  const c = parsed.data;
  const long = overlongName(c.id, c.model);
  if (long) return { ok: false, error: long };
  const choice = c.choices[0];
  if (!choice) return { ok: false, error: unreadable('a chat completion without choices') };
  const m = choice.message;
  const content: OutBlock[] = [];
  // Reasoning models served by vLLM, DeepSeek, Qwen: their reasoning is Anthropic's thinking.
  const reasoning = m.reasoning_content ?? m.reasoning;
  if (reasoning) content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  // Whitespace alone beside tool calls (vLLM's parsers leave the blank lines before a call as content) is no text block:
  // the client sends its history back as given, and Anthropic refuses one ("must contain non-whitespace text").
  const calls = m.tool_calls ?? [];
  if (m.content && (calls.length === 0 || m.content.trim() !== '')) content.push({ type: 'text', text: m.content });
  if (m.refusal) content.push({ type: 'text', text: m.refusal });
  // The output tokens the answer carried, at least (output-estimate.ts), as its stream would be counted.
  let estimate = 0;
  for (const text of [reasoning, m.content, m.refusal, ...calls.map((c) => c.function.arguments)]) {
    if (text) estimate += tokensAtLeast(text.length);
  }
  const limited = isLimitFinish(choice.finish_reason);
  for (let i = 0; i < calls.length; i++) {
    const call = calls[i]!;
    const input = argumentsObject(call.function.arguments);
    // A call cut by the token limit (or a content filter) has arguments that end mid-JSON. Anthropic itself
    // gives no usable input for a tool_use cut by max_tokens, and a client handed a guessed input ({}) might run
    // the tool with it: the incomplete call is left out, what came before it stays, and stop_reason max_tokens
    // (refusal) says why the answer ends there. A 502 instead would be retried by the SDKs, to be cut again.
    if (input === undefined && limited) continue;
    if (input === undefined) {
      // The name quoted cut: the backend chose it, up to the response buffer (an 8 MiB name made an 8 MiB 502, event
      // and log line, and the admin's event history kept each). Scrubbed first: cut, a configured secret across the cut
      // was no longer whole for the scrub after (relay/exchange.ts), and its first characters reached the client.
      return refusedWritten(
        aigwError(
          'bad_upstream_response',
          `the backend's tool call ${i} (${clip(scrub(call.function.name))}) has arguments that are not a JSON object`,
        ),
      );
    }
    // An empty id is no id, as the stream reads it: kept, parallel calls all had id "" and their results named none of them apart.
    // An id Anthropic's API refuses (Kimi K2's `functions.f:0`) is made one it takes: the client sends it back, maybe to an
    // Anthropic target, as it was given.
    const json = call.function.arguments.trim() === '' ? '{}' : call.function.arguments;
    content.push({ type: 'tool_use', id: givenToolId(call.id || generatedCallId(c.id, i)), name: call.function.name, input, json });
  }
  if (isCutFinish(choice.finish_reason)) {
    return {
      ok: false,
      error: aigwError('bad_upstream_response', `the backend gave up on its answer (finish_reason ${choice.finish_reason})`),
    };
  }
  const stop = stopReasonWithCalls(choice.finish_reason, choice.stop_reason, calls.length > 0);
  // Unreadable (a count as a string, or left out), the usage is none: the answer is counted from its body (relay/exchange.ts).
  const read = readChatUsage(c.usage);
  const usage = read ? usageFromChat(read) : undefined;
  const head = { id: c.id, type: 'message', role: 'assistant', model: c.model };
  const tail = {
    stop_reason: stop.reason,
    stop_sequence: stop.sequence,
    // Anthropic's usage is required (the SDK's types read it unguarded). Unreadable, the client is told the output the
    // same answer streamed is told (anthropic-openai-stream.ts), the estimate from what it carried — an answer of 0
    // tokens was a free one to a client metering by it.
    usage: anthropicUsageOf(usage ?? { input: 0, output: estimate, cacheRead: 0, cacheCreation: 0 }),
  };
  const blocks = [];
  for (const b of content) {
    const block = blockJson(b);
    if (block === undefined) return refusedWritten(unreadable('tool call arguments nest too deeply'));
    blocks.push(block);
  }
  const body = `${JSON.stringify(head).slice(0, -1)},"content":[${blocks.join(',')}],${JSON.stringify(tail).slice(1)}`;
  return { ok: true, value: { body, usage, model: c.model } };
}

/**
 * A block's JSON. A tool_use block's input is the backend's arguments as it wrote them (checked to be a JSON object), as
 * the stream sends them: parsed and written again, a number JavaScript cannot hold exactly (a 19-digit id) reached the
 * client changed, which a client reading numbers exactly (Python's) then called the tool with. Text that is not
 * well-formed UTF-16 (a lone surrogate, which would reach the client as U+FFFD) is written again, escaped.
 */
function blockJson(b: OutBlock): string | undefined {
  if (b.type !== 'tool_use') return JSON.stringify(b);
  const { json, ...block } = b;
  // Node 20 has it; the TypeScript lib this project builds with does not declare it.
  if (!(json as unknown as { isWellFormed(): boolean }).isWellFormed()) return serialize(block);
  return `{"type":"tool_use","id":${JSON.stringify(b.id)},"name":${JSON.stringify(b.name)},"input":${json}}`;
}
