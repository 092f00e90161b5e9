/**
 * A Messages request seen as plain-text chat turns — exactly the turns, in order and with the same text,
 * that its translation to chat completions carries. The mocks key their deterministic answers and count
 * prompt tokens on it, so one prompt gets one answer whether it reaches a backend in Anthropic's API or,
 * translated, in OpenAI's.
 *
 * The rule, in full: the system texts, joined, are one `system` turn; a user message with string content is one
 * `user` turn; a user message with blocks gives one `tool` turn per tool_result (its text), then — when
 * it has text or image blocks — one `user` turn with its text blocks joined; an assistant message is one
 * `assistant` turn with its text blocks joined (tool_use and thinking blocks carry no text).
 */
import { toolResultText } from './blocks.js';
import { type MessageParam, type MessagesRequest, systemTexts } from './wire.js';

/** A type alias, not an interface: it must be assignable to OpenAI's loose ChatMessage. */
export type TextTurn = {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
};

export function textTurns(req: Pick<MessagesRequest, 'system' | 'messages'>): TextTurn[] {
  const system = systemTexts(req.system);
  const turns: TextTurn[] = system.length ? [{ role: 'system', content: system.join('') }] : [];
  // Appended one by one: push(...turns) puts each on the stack as an argument, and a user message of ~120,000
  // tool_result blocks (a few MiB) overflowed it — a RangeError, the client's count_tokens a 500.
  for (const m of req.messages) for (const t of messageTurns(m)) turns.push(t);
  return turns;
}

function messageTurns(m: MessageParam): TextTurn[] {
  if (typeof m.content === 'string') return [{ role: m.role, content: m.content }];
  if (m.role === 'assistant') return [{ role: 'assistant', content: joinedText(m) }];
  const out: TextTurn[] = [];
  let userParts = 0;
  for (const b of m.content) {
    if (b.type === 'tool_result') out.push({ role: 'tool', content: toolResultText(b) });
    else if (b.type === 'text' || b.type === 'image') userParts++;
  }
  if (userParts > 0) out.push({ role: 'user', content: joinedText(m) });
  return out;
}

function joinedText(m: MessageParam): string {
  if (typeof m.content === 'string') return m.content;
  let out = '';
  for (const b of m.content) if (b.type === 'text') out += b.text;
  return out;
}
