/**
 * What Anthropic's Messages API refuses in a request's content before it generates anything, as it words it: a message
 * of no content other than a final assistant prefill, a text block (in a message or a tool_result) that is empty or
 * whitespace alone, a prefill ending in whitespace. The mock answered them all, so a client or a translation sending
 * them (aigw's own sent empty tool results and empty assistant turns) passed against it and failed against the API.
 */
import type { MessageParam } from '../anthropic/wire.js';

const EMPTY_MESSAGE = 'all messages must have non-empty content except for the optional final assistant message';

/** The refusal of a text, or undefined when Anthropic takes it as a text block. */
function textProblem(text: string): string | undefined {
  if (text === '') return 'messages: text content blocks must be non-empty';
  if (text.trim() === '') return 'messages: text content blocks must contain non-whitespace text';
  return undefined;
}

/** The first text of a message's content Anthropic refuses, within tool results too. */
function blockProblem(content: MessageParam['content']): string | undefined {
  if (typeof content === 'string') return textProblem(content);
  for (const block of content) {
    if (block.type === 'text') {
      const p = textProblem((block as { text: string }).text);
      if (p) return p;
    } else if (block.type === 'tool_result') {
      const inner = (block as { content?: string | { type: string; text?: unknown }[] }).content;
      // A tool result's content is optional, and may be no blocks; a string in it is one text block.
      if (typeof inner === 'string') {
        const p = textProblem(inner);
        if (p) return p;
      } else if (inner) {
        for (const b of inner) {
          const p = b.type === 'text' && typeof b.text === 'string' ? textProblem(b.text) : undefined;
          if (p) return p;
        }
      }
    }
  }
  return undefined;
}

/** The text a prefill ends with: its string, or its last block's when that is text. */
function lastText(content: MessageParam['content']): string | undefined {
  if (typeof content === 'string') return content;
  const last = content.at(-1) as { type: string; text?: unknown } | undefined;
  return last?.type === 'text' && typeof last.text === 'string' ? last.text : undefined;
}

/** Anthropic's 400 message for the request's messages, or undefined when it would take them. */
export function contentProblem(messages: readonly MessageParam[]): string | undefined {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const prefill = i === messages.length - 1 && m.role === 'assistant';
    if (m.content.length === 0) {
      if (prefill) continue;
      return `messages.${i}: ${EMPTY_MESSAGE}`;
    }
    const p = blockProblem(m.content);
    if (p) return p;
    if (prefill && /\s$/.test(lastText(m.content) ?? '')) return 'messages: final assistant content cannot end with trailing whitespace';
  }
  return undefined;
}
