/**
 * What Anthropic's Messages API refuses in a request's content before it generates anything, as it words it: a message
 * of no content other than a final assistant prefill, a text block (in a message or a tool_result) that is empty or
 * whitespace alone, a prefill ending in whitespace. The mock answered them all, so a client or a translation sending
 * them (aigw's own sent empty tool results and empty assistant turns) passed against it and failed against the API.
 */
import type { MessageParam } from '../anthropic/wire.js';
import { shown } from './controls.js';

/** Ids a refusal names at most (a client's ids, each quoted at most 200 characters, as the mocks quote a client). */
const NAMED_IDS = 10;

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

/** The ids of a message's blocks of `type` (tool_use: `id`; tool_result: `tool_use_id`), with each block's index. */
function blockIds(m: MessageParam | undefined, type: 'tool_use' | 'tool_result'): { id: string; at: number }[] {
  if (!m || typeof m.content === 'string') return [];
  const out: { id: string; at: number }[] = [];
  m.content.forEach((b, at) => {
    if (b.type !== type) return;
    const id = type === 'tool_use' ? (b as { id?: unknown }).id : (b as { tool_use_id?: unknown }).tool_use_id;
    if (typeof id === 'string') out.push({ id, at });
  });
  return out;
}

/**
 * Anthropic's pairing of tool calls and results: each tool_use of an assistant message answered by a tool_result in
 * the user message right after it, and each tool_result answering a tool_use of the message right before it. An
 * agent's history cut or reordered (a context trim, a translation merging or splitting turns) is refused so.
 */
function pairingProblem(messages: readonly MessageParam[]): string | undefined {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role === 'assistant') {
      const next = messages[i + 1];
      // A call in the last message is the model's turn still open: nothing answers it yet.
      if (!next) continue;
      const answered = new Set(next.role === 'user' ? blockIds(next, 'tool_result').map((r) => r.id) : []);
      const missing = blockIds(m, 'tool_use').filter((u) => !answered.has(u.id));
      if (missing.length) {
        const ids = missing
          .slice(0, NAMED_IDS)
          .map((u) => shown(u.id))
          .join(', ');
        return (
          `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${ids}. ` +
          'Each `tool_use` block must have a corresponding `tool_result` block in the next message.'
        );
      }
    } else {
      const prev = messages[i - 1];
      const called = new Set(prev?.role === 'assistant' ? blockIds(prev, 'tool_use').map((u) => u.id) : []);
      const stray = blockIds(m, 'tool_result').find((r) => !called.has(r.id));
      if (stray) {
        return (
          `messages.${i}.content.${stray.at}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${shown(stray.id)}. ` +
          'Each `tool_result` block must have a corresponding `tool_use` block in the previous message.'
        );
      }
    }
  }
  return undefined;
}

/** The tool ids Anthropic takes (a tool_use's `id`, a tool_result's `tool_use_id`): `functions.get_weather:0` is not one. */
const TOOL_ID = /^[a-zA-Z0-9_-]+$/;

/** A tool id of another form, refused as the API's schema refuses it (before it reads the content). */
function toolIdProblem(messages: readonly MessageParam[]): string | undefined {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (typeof m.content === 'string') continue;
    for (let j = 0; j < m.content.length; j++) {
      const b = m.content[j] as { type: string; id?: unknown; tool_use_id?: unknown };
      const field = b.type === 'tool_use' ? 'id' : b.type === 'tool_result' ? 'tool_use_id' : undefined;
      if (field && !(typeof b[field] === 'string' && TOOL_ID.test(b[field] as string)))
        return `messages.${i}.content.${j}.${b.type}.${field}: String should match pattern '^[a-zA-Z0-9_-]+$'`;
    }
  }
  return undefined;
}

/**
 * A thinking block Anthropic did not sign, refused as it refuses one: no signature (its schema's "Field required"), or
 * `""` (what a translation gives a client for reasoning no one signed). The mock signs nothing, so any other passes.
 */
function signatureProblem(messages: readonly MessageParam[]): string | undefined {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (typeof m.content === 'string') continue;
    for (let j = 0; j < m.content.length; j++) {
      const b = m.content[j] as { type: string; signature?: unknown };
      if (b.type !== 'thinking') continue;
      if (b.signature === undefined) return `messages.${i}.content.${j}.thinking.signature: Field required`;
      if (b.signature === '') return `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
    }
  }
  return undefined;
}

/**
 * With thinking on, Anthropic wants the last assistant turn of a tool loop (one holding a tool_use) to open with its
 * thinking, and refuses it otherwise in these words; with thinking off, or no tool_use in that turn, it takes it. The
 * mock answered 200 where the real API refuses every such turn (translate/unsigned-thinking.ts turns thinking off there).
 */
export function thinkingLoopProblem(messages: readonly MessageParam[], thinking: { type: string } | undefined): string | undefined {
  if (thinking === undefined || thinking.type === 'disabled') return undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'assistant') continue;
    if (typeof m.content === 'string') return undefined;
    const blocks = m.content as readonly { type: string }[];
    const first = blocks[0]?.type;
    if (!blocks.some((b) => b.type === 'tool_use') || first === 'thinking' || first === 'redacted_thinking') return undefined;
    return `messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`;
  }
  return undefined;
}

/** Anthropic's 400 message for the request's messages, or undefined when it would take them. */
export function contentProblem(messages: readonly MessageParam[]): string | undefined {
  return toolIdProblem(messages) ?? signatureProblem(messages) ?? emptinessProblem(messages) ?? pairingProblem(messages);
}

function emptinessProblem(messages: readonly MessageParam[]): string | undefined {
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
