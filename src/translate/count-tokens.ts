/**
 * `POST /v1/messages/count_tokens` for a backend that is not Anthropic's: what the tokenizer should count.
 * An estimate (o200k_base is not Claude's tokenizer, nor every model's): the conversation as plain-text
 * turns — the ones its translation carries — plus the assistant's tool calls and the tool definitions as their
 * JSON; images are not counted. What the translation would refuse is refused the same way.
 */
import type { Result } from '../core/errors.js';
import { type TextTurn, textTurns } from '../anthropic/prompt-view.js';
import { CountTokensRequest, describeAnthropicIssue } from '../anthropic/wire.js';
import { messagesToChat } from './anthropic-openai.js';
import { refuse, serialize, tooDeep } from './mapping.js';

export function countTokensTurns(json: unknown): Result<TextTurn[]> {
  const parsed = CountTokensRequest.safeParse(json);
  if (!parsed.success) {
    const { message, param } = describeAnthropicIssue(parsed.error);
    return refuse(message, param);
  }
  // What /v1/messages would refuse for this backend (a document block, an Anthropic-only field), this refuses too.
  const sendable = messagesToChat({ ...(json as Record<string, unknown>), max_tokens: 1 }, '');
  if (!sendable.ok) return sendable;
  const turns = textTurns(parsed.data);
  // The assistant's tool calls travel as their arguments (tool_calls): counted, as the translation sends them.
  for (const m of parsed.data.messages) {
    if (m.role !== 'assistant' || typeof m.content === 'string') continue;
    for (const b of m.content) {
      if (b.type !== 'tool_use') continue;
      const args = serialize(b.input);
      if (args === undefined) return tooDeep('messages');
      turns.push({ role: 'assistant', content: `${b.name}${args}` });
    }
  }
  if (parsed.data.tools?.length) {
    const tools = serialize(parsed.data.tools);
    if (tools === undefined) return tooDeep('tools');
    turns.unshift({ role: 'system', content: tools });
  }
  return { ok: true, value: turns };
}

/** The answer's body. */
export function countTokensBody(inputTokens: number): string {
  return `{"input_tokens":${inputTokens}}`;
}
