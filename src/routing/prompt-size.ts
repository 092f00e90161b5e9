/**
 * A request's prompt size in tokens, estimated without tokenizing and without reading the text: the sum of
 * its strings' lengths (O(messages), since a string knows its length) at 4 characters a token — the
 * Inference Extension's figure — plus OpenAI's 3 tokens of framing per message. Routing uses it to
 * compare with `escalate` bounds and context windows; the backend's usage stays the source of truth.
 */
const CHARS_PER_TOKEN = 4;
const TOKENS_PER_MESSAGE = 3;

/** Prompt tokens of a chat request's `messages` or a completion request's `prompt` (any JSON: junk counts 0). */
export function estimatePromptTokens(body: { messages?: unknown; prompt?: unknown }): number {
  let chars = 0;
  let framing = 0;
  const { messages, prompt } = body;
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (!m || typeof m !== 'object') continue;
      framing += TOKENS_PER_MESSAGE;
      const { role, content } = m as { role?: unknown; content?: unknown };
      if (typeof role === 'string') chars += role.length;
      if (typeof content === 'string') chars += content.length;
      else if (Array.isArray(content)) {
        for (const part of content) {
          const text = part && typeof part === 'object' ? (part as { text?: unknown }).text : undefined;
          if (typeof text === 'string') chars += text.length;
        }
      }
    }
  } else if (typeof prompt === 'string') chars = prompt.length;
  else if (Array.isArray(prompt)) {
    for (const p of prompt) {
      if (typeof p === 'string') chars += p.length;
      else if (typeof p === 'number') framing += 1;
      else if (Array.isArray(p)) framing += p.length;
    }
  }
  return Math.ceil(chars / CHARS_PER_TOKEN) + framing;
}
