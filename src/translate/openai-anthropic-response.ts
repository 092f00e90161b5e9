/**
 * OpenAI client → Anthropic backend, the answer: a Message becomes a chat completion. Text blocks join into
 * `content`, tool_use blocks become `tool_calls`, thinking becomes `reasoning_content` (vLLM's and
 * DeepSeek's field), usage counts cache reads as `prompt_tokens_details.cached_tokens`.
 */
import { MessageAnyUsage, readUsage } from '../anthropic/response.js';
import { chatUsageOf, finishReasonWithCalls, overlongName, serialize, unreadable, usageFromAnthropic } from './mapping.js';
import { type AnswerResult, refusedWritten } from './translated.js';

/** `created`: seconds since the epoch (Anthropic's Message carries no time). */
export function messageToChat(json: unknown, created: number): AnswerResult {
  const parsed = MessageAnyUsage.safeParse(json);
  if (!parsed.success) return { ok: false, error: unreadable('not a Message') };
  const m = parsed.data;
  const long = overlongName(m.id, m.model);
  if (long) return { ok: false, error: long };
  let text = '';
  let reasoning = '';
  const toolCalls = [];
  for (const b of m.content) {
    if (b.type === 'text') text += b.text;
    else if (b.type === 'thinking') reasoning += b.thinking;
    else if (b.type === 'tool_use') {
      const args = serialize(b.input);
      if (args === undefined) return refusedWritten(unreadable('tool input nests too deeply'));
      toolCalls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: args } });
    }
    // redacted_thinking is opaque, and other block types carry nothing an OpenAI client reads.
  }
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: text === '' && toolCalls.length ? null : text,
    refusal: null,
  };
  if (reasoning) message.reasoning_content = reasoning;
  if (toolCalls.length) message.tool_calls = toolCalls;
  // Unreadable (a count as a string, or left out), the usage is none: the answer is counted from its body (relay/exchange.ts).
  const read = readUsage(m.usage);
  const usage = read && usageFromAnthropic(read);
  const completion = {
    id: m.id,
    object: 'chat.completion',
    created,
    model: m.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonWithCalls(m.stop_reason, toolCalls.length > 0) }],
    // Unreadable, it is left out (usage is optional to an OpenAI client), not told as 0 tokens: accounting counts the
    // answer (relay/exchange.ts), and a client that reads usage for its own metering read an answer that cost nothing.
    ...(usage ? { usage: chatUsageOf(usage) } : {}),
  };
  const body = serialize(completion);
  if (body === undefined) return refusedWritten(unreadable('tool input nests too deeply'));
  return { ok: true, value: { body, usage, model: m.model } };
}
