/**
 * An Anthropic client's history as an Anthropic backend is sent it: without the thinking blocks no signature stands
 * for. The gateway itself gives an Anthropic client such blocks — an OpenAI backend's reasoning (vLLM's DeepSeek-R1,
 * Qwen3) becomes a thinking block signed `""`, there being no signature — and the client sends them back as given.
 * Anthropic's API refuses a thinking block it did not sign (400 "Invalid `signature` in `thinking` block", or
 * "signature: Field required"), so once such a conversation reached an Anthropic target (its fallback, a model the
 * client switched to) every later turn failed. Claude drops earlier turns' thinking from its context anyway; the rest of
 * the body goes as the client wrote it (kept blocks are its own text: a 19-digit number in a tool input stays exact).
 */
import { elementStarts, memberSpan, type Span, valueEnd } from './json-members.js';

/** A thinking block no signature stands for: `""` (the gateway's own) or none (a client's or another server's). */
function isUnsigned(block: unknown): boolean {
  if (block === null || typeof block !== 'object') return false;
  const b = block as { type?: unknown; signature?: unknown };
  return b.type === 'thinking' && (typeof b.signature !== 'string' || b.signature === '');
}

/** The assistant message's content blocks, when it holds an unsigned thinking block; else undefined. */
function unsignedContent(message: unknown): readonly unknown[] | undefined {
  if (message === null || typeof message !== 'object') return undefined;
  const m = message as { role?: unknown; content?: unknown };
  return m.role === 'assistant' && Array.isArray(m.content) && m.content.some(isUnsigned) ? m.content : undefined;
}

/**
 * The JSON text of `messages` (the parsed value of the body's `messages`, whose text is `text` at `span`) without its
 * assistant turns' unsigned thinking blocks — a turn left with no block is left out (the user turns on either side of
 * it are one turn to Anthropic); undefined when there is none to leave out (the common case: nothing is rewritten), or
 * when the text does not line up with the parsed value.
 */
export function withoutUnsignedThinking(messages: unknown, text: string, span: Span): string | undefined {
  if (!Array.isArray(messages) || !messages.some((m) => unsignedContent(m) !== undefined)) return undefined;
  const starts = elementStarts(text, span.start);
  if (starts?.length !== messages.length) return undefined;
  const out: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    const start = starts[i]!;
    const end = valueEnd(text, start);
    const content = unsignedContent(messages[i]);
    if (content === undefined) {
      out.push(text.slice(start, end));
      continue;
    }
    const at = memberSpan(text, start, 'content');
    const blocks = at && elementStarts(text, at.start);
    if (!at || blocks?.length !== content.length) return undefined;
    const kept: string[] = [];
    for (let j = 0; j < blocks.length; j++) {
      if (!isUnsigned(content[j])) kept.push(text.slice(blocks[j]!, valueEnd(text, blocks[j]!)));
    }
    if (kept.length) out.push(`${text.slice(start, at.start)}[${kept.join(',')}]${text.slice(at.end, end)}`);
  }
  return `[${out.join(',')}]`;
}

/**
 * Whether the conversation is in a tool loop (its last turn the user's) whose last assistant turn opens with a thinking
 * block withoutUnsignedThinking leaves out, and opens with no other thinking then: with thinking on, Anthropic refuses
 * such a turn (400 "Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a
 * final `assistant` message must start with a thinking block … To avoid this requirement, disable `thinking`") — every
 * tool result of a loop an OpenAI backend began (Claude Code with thinking on) was refused on an Anthropic target.
 */
export function loopLosesItsThinking(messages: unknown): boolean {
  if (!Array.isArray(messages) || (messages.at(-1) as { role?: unknown } | null)?.role !== 'user') return false;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | null;
    if (m?.role !== 'assistant') continue;
    const content = unsignedContent(m);
    if (!content || !isUnsigned(content[0]) || !content.some((b) => (b as { type?: unknown } | null)?.type === 'tool_use')) return false;
    const first = content.find((b) => !isUnsigned(b)) as { type?: unknown } | undefined;
    return first?.type !== 'thinking' && first?.type !== 'redacted_thinking';
  }
  return false;
}

/** Anthropic's `thinking` when it is on (`enabled`, `adaptive`): what such a loop turns off. */
export function thinkingOn(thinking: unknown): boolean {
  return thinking !== null && typeof thinking === 'object' && (thinking as { type?: unknown }).type !== 'disabled';
}
