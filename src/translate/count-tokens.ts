/**
 * `POST /v1/messages/count_tokens` for a backend that is not Anthropic's: what the tokenizer should count.
 * An estimate (o200k_base is not Claude's tokenizer, nor every model's): the conversation as plain-text
 * turns — the ones its translation carries — plus the tool definitions as their JSON; images are not counted.
 */
import type { Result } from '../core/errors.js';
import { type TextTurn, textTurns } from '../anthropic/prompt-view.js';
import { CountTokensRequest, describeAnthropicIssue } from '../anthropic/wire.js';
import { refuse, serialize, tooDeep } from './mapping.js';

export function countTokensTurns(json: unknown): Result<TextTurn[]> {
  const parsed = CountTokensRequest.safeParse(json);
  if (!parsed.success) {
    const { message, param } = describeAnthropicIssue(parsed.error);
    return refuse(message, param);
  }
  const turns = textTurns(parsed.data);
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
