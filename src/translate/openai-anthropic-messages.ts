/**
 * OpenAI client → Anthropic backend, the conversation: chat messages become Anthropic's `system` and
 * alternating messages. System and developer messages are hoisted into `system` (one block each, in order);
 * assistant tool_calls become tool_use blocks; consecutive tool messages merge into one user turn of
 * tool_result blocks, as Anthropic requires.
 */
import type { Result } from '../core/errors.js';
import type { ChatMessage, RequestToolCall, UserPart } from './openai-chat.js';
import type { ExactJson } from './exact-json.js';
import { anthropicToolId, argumentsObject, clip, imageSourceOf, refuse } from './mapping.js';

/** A prompt-caching mark as the client wrote it (Anthropic's `cache_control`, which it validates). */
type CacheControl = Record<string, unknown>;

type Block =
  | { type: 'text'; text: string; cache_control?: CacheControl }
  | { type: 'image'; source: unknown; cache_control?: CacheControl }
  /** `input`: the arguments parsed, or ExactJson's stand-in for their text. */
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> | string; cache_control?: CacheControl }
  | { type: 'tool_result'; tool_use_id: string; content?: string; cache_control?: CacheControl };

/**
 * A part's `cache_control`, when it is an object: prompt caching asked for in OpenAI's format, as LiteLLM and OpenRouter
 * take it. Claude caches only what a request marks, and each block is built anew here: dropped, every request of such a
 * client was charged its whole prompt at the full rate (a cache read costs a tenth) and prefilled it again.
 */
function cacheControlOf(part: unknown): CacheControl | undefined {
  const c = part !== null && typeof part === 'object' ? (part as { cache_control?: unknown }).cache_control : undefined;
  return c !== null && typeof c === 'object' && !Array.isArray(c) ? (c as CacheControl) : undefined;
}

/** The last mark of a message's parts, for the one block they are joined into (it caches everything before it too). */
function lastCacheControl(content: unknown): CacheControl | undefined {
  if (!Array.isArray(content)) return undefined;
  for (let j = content.length - 1; j >= 0; j--) {
    const c = cacheControlOf(content[j]);
    if (c) return c;
  }
  return undefined;
}

/** `block` with `cache_control` when there is one. */
function marked<B extends Block>(block: B, cache: CacheControl | undefined): B {
  if (cache) block.cache_control = cache;
  return block;
}

export interface AnthropicConversation {
  system: { type: 'text'; text: string; cache_control?: CacheControl }[];
  messages: { role: 'user' | 'assistant'; content: string | Block[] }[];
}

/** `exact`: holds each tool call's arguments as the client wrote them, to go into the body so (exact-json.ts). */
export function conversationOf(chat: readonly ChatMessage[], exact?: ExactJson): Result<AnthropicConversation> {
  const out: AnthropicConversation = { system: [], messages: [] };
  const ids = new CallIds();
  let results: Block[] | undefined;
  for (let i = 0; i < chat.length; i++) {
    const m = chat[i]!;
    const at = `messages.${i}`;
    if (m.role !== 'tool') results = undefined;
    switch (m.role) {
      case 'system':
      case 'developer': {
        const text = textOf(m.content, at);
        if (!text.ok) return text;
        // Anthropic refuses an empty text block (400 "text content blocks must be non-empty"), or one of whitespace alone
        // ("must contain non-whitespace text"), and OpenAI takes both: clients with no system prompt set send `""`, a
        // template's blank one `"\n"`. It says nothing, so it is left out.
        if (text.value.trim() !== '') out.system.push(marked({ type: 'text', text: text.value }, lastCacheControl(m.content)));
        break;
      }
      case 'user': {
        const r = userContent(m.content, at);
        if (!r.ok) return r;
        out.messages.push({ role: 'user', content: r.value });
        break;
      }
      case 'assistant': {
        const r = assistantContent(m, at, exact, ids, i);
        if (!r.ok) return r;
        // A turn that said nothing (no text, no call) is left out: Anthropic refuses it ("all messages must have non-empty
        // content except for the optional final assistant message"), and OpenAI takes it. Claude itself answers so at
        // times (an end_turn of no content, which reaches an OpenAI client as content ""), and a client that sends its
        // history back as it came had every later turn of that conversation refused. The user turns on either side of
        // it are one turn to Anthropic, as they would be to the model. One of whitespace alone is refused too ("text content
        // blocks must contain non-whitespace text").
        if (typeof r.value === 'string' && r.value.trim() === '') break;
        out.messages.push({ role: 'assistant', content: r.value });
        break;
      }
      case 'tool': {
        const content = textOf(m.content, at);
        if (!content.ok) return content;
        // A tool that printed nothing (a command with no output) answers `""`, which OpenAI takes; Anthropic reads a
        // tool_result's string as a text block and refuses an empty one (400 "text content blocks must be non-empty"), or
        // one of whitespace alone: the next turn of every such tool loop failed. Its content is optional: left out.
        const id = ids.result(m.tool_call_id);
        const block: Block = marked(
          content.value.trim() === ''
            ? { type: 'tool_result', tool_use_id: id }
            : { type: 'tool_result', tool_use_id: id, content: content.value },
          lastCacheControl(m.content),
        );
        if (results) results.push(block);
        else {
          results = [block];
          out.messages.push({ role: 'user', content: results });
        }
        break;
      }
      default:
        return refuse(`${at}.role: ${clip(m.original)} messages cannot be sent to an Anthropic backend`, `${at}.role`);
    }
  }
  // Instructions alone (an eval's judge prompt, a one-shot generator), which OpenAI answers: hoisted into `system`, they
  // left no message, which Anthropic refuses (400 "messages: at least one message is required"). They are the prompt:
  // sent as the one user turn, a text block each.
  if (out.messages.length === 0 && out.system.length) {
    out.messages.push({ role: 'user', content: out.system });
    out.system = [];
  }
  trimPrefill(out.messages);
  return { ok: true, value: out };
}

/**
 * A conversation that ends with an assistant turn is a prefill: the model goes on from it. Anthropic refuses one that
 * ends in whitespace (400 "final assistant content cannot end with trailing whitespace"), which OpenAI's API and vLLM
 * take (`"The answer is "`, a template's "```json\n"): every such request to an Anthropic target failed. Its trailing
 * whitespace is left out, as LiteLLM leaves it; a text block it leaves empty goes too.
 */
function trimPrefill(messages: AnthropicConversation['messages']): void {
  const last = messages.at(-1);
  if (last?.role !== 'assistant') return;
  if (typeof last.content === 'string') {
    last.content = last.content.trimEnd();
    return;
  }
  const tail = last.content.at(-1);
  if (tail?.type !== 'text') return;
  tail.text = tail.text.trimEnd();
  if (tail.text === '') last.content.pop();
  if (last.content.length === 0) messages.pop();
}

/**
 * A system, developer or tool message's text: its text parts joined. Any other part is a 400 naming it, as in a user
 * message — left out, a tool's image reached the model as if the tool had returned none.
 */
function textOf(
  content: string | readonly ({ type: 'text'; text: string } | { type: 'unknown'; original: string })[],
  at: string,
): Result<string> {
  if (typeof content === 'string') return { ok: true, value: content };
  let s = '';
  for (let j = 0; j < content.length; j++) {
    const p = content[j]!;
    if (p.type === 'text') s += p.text;
    else {
      const param = `${at}.content.${j}.type`;
      return refuse(`${param}: ${clip(p.original)} parts cannot be sent to an Anthropic backend in this message (text only)`, param);
    }
  }
  return { ok: true, value: s };
}

function userContent(content: string | readonly UserPart[], at: string): Result<string | Block[]> {
  if (typeof content === 'string') return { ok: true, value: content };
  const blocks: Block[] = [];
  /** Whitespace parts with no text before them, for the next text part. */
  let blank = '';
  for (let j = 0; j < content.length; j++) {
    const p = content[j]!;
    const param = `${at}.content.${j}`;
    if (p.type === 'text') {
      // Anthropic refuses an empty block (above), and one of whitespace alone. Such a part (a separator between an image
      // and its question, `"\n"` between lines) joins the text beside it — the text before, else the next — so that what
      // the model reads is unchanged; with no text beside it, it is left out.
      const last = blocks.at(-1);
      if (p.text.trim() === '') {
        // A mark on it goes on the block it joins.
        if (last?.type === 'text') marked(last, cacheControlOf(p)).text += p.text;
        else blank += p.text;
      } else {
        blocks.push(marked({ type: 'text', text: blank + p.text }, cacheControlOf(p)));
        blank = '';
      }
    } else if (p.type === 'image_url') {
      const source = imageSourceOf(p.image_url.url, `${param}.image_url.url`);
      if (!source.ok) return source;
      blocks.push(marked({ type: 'image', source: source.value }, cacheControlOf(p)));
    } else
      return refuse(`${param}.type: ${clip(p.original)} parts cannot be sent to an Anthropic backend (text, image_url)`, `${param}.type`);
  }
  // Parts that were all empty: the empty message they make, as a string.
  return { ok: true, value: blocks.length ? blocks : '' };
}

/**
 * The Anthropic ids of a conversation's tool calls. OpenAI takes an id used again in a later turn — servers that number
 * calls within an answer write one (Kimi K2 on vLLM: `functions.get_weather:0` whenever a turn calls it first), and a
 * tool message answers the latest call of its id — where Anthropic refuses a request whose tool_use ids repeat (400
 * "`tool_use` ids must be unique"): from the second such turn on, every request of the conversation failed. An id's
 * first call keeps anthropicToolId's id; a later one is named by the id and its message's place, and a tool message's
 * id is its latest call's.
 */
class CallIds {
  /** Each id's latest call: the Anthropic id it got, and the place of its message. */
  private readonly latest = new Map<string, { named: string; turn: number }>();

  /** The id of a call named `id` in the message at `turn` (one id twice in a message stays one: its results cannot tell them apart). */
  call(id: string, turn: number): string {
    const before = this.latest.get(id);
    if (before?.turn === turn) return before.named;
    const named = before ? anthropicToolId(`${id}\u0000${turn}`) : anthropicToolId(id);
    this.latest.set(id, { named, turn });
    return named;
  }

  /** The id a tool message naming `id` answers. */
  result(id: string): string {
    return this.latest.get(id)?.named ?? anthropicToolId(id);
  }
}

function assistantContent(
  m: Extract<ChatMessage, { role: 'assistant' }>,
  at: string,
  exact: ExactJson | undefined,
  ids: CallIds,
  turn: number,
): Result<string | Block[]> {
  let text = '';
  if (typeof m.content === 'string') text = m.content;
  else if (m.content) {
    for (const p of m.content) text += p.type === 'text' ? p.text : p.type === 'refusal' ? p.refusal : '';
  }
  // OpenAI answers a refusal with `content: null` and the words in `refusal`, and a client sends that message back as it
  // came: read from content alone, the turn went as an empty one — the model's words gone, a turn Anthropic refuses.
  if (text === '' && m.refusal) text = m.refusal;
  const calls = m.tool_calls ?? [];
  if (!calls.length) return { ok: true, value: text };
  // Whitespace alone beside the calls (vLLM's parsers leave the "\n\n" before them as content) is no text block:
  // Anthropic refuses one.
  const blocks: Block[] = text.trim() === '' ? [] : [{ type: 'text', text }];
  for (let j = 0; j < calls.length; j++) {
    const r = toolUse(calls[j]!, `${at}.tool_calls.${j}`, exact, ids, turn);
    if (!r.ok) return r;
    blocks.push(r.value);
  }
  return { ok: true, value: blocks };
}

function toolUse(call: RequestToolCall, at: string, exact: ExactJson | undefined, ids: CallIds, turn: number): Result<Block> {
  if (call.type !== undefined && call.type !== 'function') {
    return refuse(`${at}.type: ${clip(call.type)} tool calls cannot be sent to an Anthropic backend`, `${at}.type`);
  }
  const args = call.function.arguments;
  const input = argumentsObject(args);
  if (!input) return refuse(`${at}.function.arguments: expected a JSON object`, `${at}.function.arguments`);
  // The arguments as the client wrote them (the model's own call): parsed and written again, a number JavaScript cannot
  // hold exactly (a 19-digit id) reached the model as another, in its own call, beside the result for the real one.
  // Blank ones are `{}`; text that is not well-formed UTF-16 is written again, escaped (in the body, a lone surrogate
  // would be sent as U+FFFD).
  const exactly = exact && args.trim() !== '' && (args as unknown as { isWellFormed(): boolean }).isWellFormed();
  return {
    ok: true,
    value: { type: 'tool_use', id: ids.call(call.id, turn), name: call.function.name, input: exactly ? exact.hold(args) : input },
  };
}
