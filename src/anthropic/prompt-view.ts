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
  return turnsOf(req, false);
}

/** A text turn with the tool calls an assistant message made, as its translation carries them (`tool_calls`). */
export type CountedTurn = TextTurn & { tool_calls?: { function: { name: string; arguments: string } }[] };

/**
 * The turns as a backend counts them: textTurns, and each assistant message's tool_use blocks as the tool calls its
 * translation sends (name, input as JSON), which the template renders into the prompt as it does text — so the
 * Anthropic mock counts a prompt as the vLLM mock counts its translation (openai/wire.ts promptText).
 */
export function countedTurns(req: Pick<MessagesRequest, 'system' | 'messages'>): CountedTurn[] {
  return turnsOf(req, true);
}

function turnsOf(req: Pick<MessagesRequest, 'system' | 'messages'>, withCalls: boolean): CountedTurn[] {
  const system = systemTexts(req.system);
  const turns: CountedTurn[] = system.length ? [{ role: 'system', content: system.join('') }] : [];
  // Appended one by one: push(...turns) puts each on the stack as an argument, and a user message of ~120,000
  // tool_result blocks (a few MiB) overflowed it — a RangeError, the client's count_tokens a 500.
  for (const m of req.messages) {
    for (const t of messageTurns(m)) turns.push(t);
    // An assistant message with blocks is one turn, the last pushed.
    if (withCalls && m.role === 'assistant' && typeof m.content !== 'string') {
      const calls = toolCalls(m.content);
      if (calls.length) turns[turns.length - 1] = { ...turns[turns.length - 1]!, tool_calls: calls };
    }
  }
  return turns;
}

/** An input JSON cannot write (nested past the engine's stack) is counted as none: the translation refuses it. */
function toolCalls(blocks: Exclude<MessageParam['content'], string>): NonNullable<CountedTurn['tool_calls']> {
  const calls: NonNullable<CountedTurn['tool_calls']> = [];
  for (const b of blocks) {
    if (b.type !== 'tool_use') continue;
    let args = '';
    try {
      args = JSON.stringify(b.input) ?? '';
    } catch {}
    calls.push({ function: { name: b.name, arguments: args } });
  }
  return calls;
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
