/**
 * A request's prompt size in tokens, estimated without tokenizing and without reading the text: the sum of
 * its strings' lengths (O(JSON values), since a string knows its length) at 4 characters a token — the
 * Inference Extension's figure — plus OpenAI's 3 tokens of framing per message. Routing uses it to
 * compare with `escalate` bounds and context windows; the backend's usage stays the source of truth.
 *
 * The strings are those a backend writes into the prompt: a message's text, its tool calls' names and arguments
 * (OpenAI's tool_calls, Anthropic's tool_use input), tool results (Anthropic's tool_result blocks; OpenAI's are `tool`
 * messages), the tools' definitions, and Anthropic's text documents and search results. Reading only `content` and
 * its parts' `text`, an agent's conversation of 40,000 characters of tool results was estimated at a few tokens, and
 * `escalate` and `cost` sent it to a small context window that refused it. A field no backend reads is not counted: padded with one, a short prompt
 * would reach the model an escalation keeps for long ones.
 */
const CHARS_PER_TOKEN = 4;
const TOKENS_PER_MESSAGE = 3;

/**
 * Parts whose strings are not text the model reads as such (an image's base64 or URL, audio, a file): their bytes
 * would count a 1 MB image as 250k tokens.
 */
const MEDIA = new Set(['image', 'image_url', 'input_image', 'input_audio', 'audio', 'document', 'file', 'input_file']);

/**
 * What one media part of a message counts, in characters: a full-size image as providers count one (Anthropic's ~1,600
 * tokens at 1.15 megapixels; OpenAI's high-detail 1024×1024 is 765, Qwen2-VL's default 1,280), the figure admission
 * charges a part it could not count (tenants/prompt-bound.ts LEFT_PART_TOKENS). Counted as nothing, a question with 20
 * images (~32,000 tokens) was a prompt of a few: a model escalating prompts over 3,000 tokens kept it on its 600-token
 * window, and `cost` sent it to a cheap target too small for it — the backend's 400, never failed over.
 */
const MEDIA_PART_CHARS = 1_600 * CHARS_PER_TOKEN;

const str = (v: unknown): number => (typeof v === 'string' ? v.length : 0);

/**
 * Every string in a value the backend renders whole into the prompt (a tool call's input, a tool's definition), but a
 * `type` field's (a kind's name) and media parts'. Walked without recursion: a body may nest as deep as its size allows.
 */
function renderedChars(value: unknown): number {
  let chars = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') chars += v.length;
    else if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (v !== null && typeof v === 'object') {
      const type = (v as { type?: unknown }).type;
      if (typeof type === 'string' && MEDIA.has(type)) continue;
      for (const key in v) if (key !== 'type') stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return chars;
}

/** The `text` of each part of a list (a document's or a search result's content), or a string's length. */
function textsChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let chars = 0;
  for (const x of content) if (x && typeof x === 'object') chars += str((x as { text?: unknown }).text);
  return chars;
}

/**
 * Text the model reads that Anthropic carries outside a `text` field: a document whose source is plain text (`data`) or
 * content blocks, with its title and context, and a search result's title and content; a document of any other source
 * (a PDF, a URL) counts as one media part. Read as media (its `source`
 * unread), a 42,000-character text document with a question was a prompt of 8 tokens: a model escalating prompts over
 * 3,000 tokens sent it to its 600-token window instead, and `cost` to a cheap target too small for it.
 */
function carriedText(p: { type?: unknown; title?: unknown; context?: unknown; source?: unknown; content?: unknown }): number {
  const chars = str(p.title) + str(p.context);
  if (p.type === 'search_result') return chars + textsChars(p.content);
  const source = p.source;
  if (!source || typeof source !== 'object') return chars;
  const { type, data, content } = source as { type?: unknown; data?: unknown; content?: unknown };
  return chars + (type === 'text' ? str(data) : type === 'content' ? textsChars(content) : MEDIA_PART_CHARS);
}

/** One part of a message's content: its text, a tool call (name and input), or a media part's MEDIA_PART_CHARS. */
function partChars(part: unknown): number {
  if (!part || typeof part !== 'object') return 0;
  const p = part as { type?: unknown; text?: unknown; name?: unknown; input?: unknown };
  if (p.type === 'document' || p.type === 'search_result') return carriedText(p);
  if (typeof p.type === 'string' && MEDIA.has(p.type)) return MEDIA_PART_CHARS;
  return p.type === 'tool_use' ? str(p.text) + str(p.name) + renderedChars(p.input) : str(p.text);
}

/** A message's `content`: a string, or parts — and a tool result's own content, a string or parts (one level). */
function contentChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let chars = 0;
  for (const part of content) {
    chars += partChars(part);
    const result =
      part && typeof part === 'object' && (part as { type?: unknown }).type === 'tool_result'
        ? (part as { content?: unknown }).content
        : undefined;
    if (typeof result === 'string') chars += result.length;
    else if (Array.isArray(result)) for (const x of result) chars += partChars(x);
  }
  return chars;
}

/** A chat message: its role, content, and OpenAI's tool calls (each function's name and arguments). */
function messageChars(m: object): number {
  const { role, content, tool_calls } = m as { role?: unknown; content?: unknown; tool_calls?: unknown };
  let chars = str(role) + contentChars(content);
  if (Array.isArray(tool_calls)) {
    for (const call of tool_calls) {
      const f = call && typeof call === 'object' ? (call as { function?: unknown }).function : undefined;
      if (f && typeof f === 'object') chars += str((f as { name?: unknown }).name) + str((f as { arguments?: unknown }).arguments);
    }
  }
  return chars;
}

/**
 * Prompt tokens of a chat request's `messages` (and its `tools` — or their legacy form, `functions`, which OpenAI and
 * Azure still render as tools, and the tokenizer counts as such (token-worker.ts chatMessages) — and vLLM's retrieval
 * `documents`, which its template renders) or a completion request's `prompt` (a batch's longest) and `suffix` (the
 * text after an insertion, read as prompt too) — any JSON: junk counts 0.
 */
export function estimatePromptTokens(body: {
  messages?: unknown;
  prompt?: unknown;
  tools?: unknown;
  functions?: unknown;
  documents?: unknown;
  suffix?: unknown;
  chat_template_kwargs?: unknown;
}): number {
  let chars = 0;
  let framing = 0;
  const { messages, prompt, functions, suffix, chat_template_kwargs: kwargs } = body;
  // vLLM renders the `tools` and `documents` its chat_template_kwargs give in place of the request's.
  const kw = kwargs !== null && typeof kwargs === 'object' ? (kwargs as { tools?: unknown; documents?: unknown }) : undefined;
  const tools = kw?.tools ?? body.tools;
  const documents = kw?.documents ?? body.documents;
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (!m || typeof m !== 'object') continue;
      framing += TOKENS_PER_MESSAGE;
      chars += messageChars(m);
    }
    if (Array.isArray(tools)) chars += renderedChars(tools);
    // Read as nothing, 40,000 characters of function definitions left a chat on a window too small for it.
    if (Array.isArray(functions)) chars += renderedChars(functions);
    if (Array.isArray(documents)) chars += renderedChars(documents);
    return Math.ceil(chars / CHARS_PER_TOKEN) + framing;
  }
  const suffixChars = typeof suffix === 'string' ? suffix.length : 0;
  if (typeof prompt === 'string') return Math.ceil((prompt.length + suffixChars) / CHARS_PER_TOKEN);
  // A list of token ids is one prompt. A list of strings, or of lists of token ids, is a batch: each prompt its own
  // sequence in the window (the suffix after each), so its size is its longest prompt's, as an embedding batch's is its
  // longest input's. Summed, a batch of eight 400-token prompts was one of 3,200: escalated past a 3,000-token bound to
  // the dearer model, and sent by `cost` past every window its prompts fit.
  let ids = 0;
  let longest = 0;
  if (Array.isArray(prompt)) {
    for (const p of prompt) {
      if (typeof p === 'number') ids++;
      else if (typeof p === 'string') longest = Math.max(longest, Math.ceil((p.length + suffixChars) / CHARS_PER_TOKEN));
      else if (Array.isArray(p)) longest = Math.max(longest, p.length + Math.ceil(suffixChars / CHARS_PER_TOKEN));
    }
  }
  return Math.max(ids + Math.ceil(suffixChars / CHARS_PER_TOKEN), longest);
}

/**
 * An embedding request's size: its longest input's tokens (a string at 4 characters a token, a list of token ids as
 * itself). Each input is embedded alone, in the model's window, so the longest is what must fit a target's
 * `contextWindow` — a batch of short inputs fits where their sum would not. Counted as 0, every embedding fit every
 * window (a 3,000-token document went to a 512-token embedder, which refused it), and `cost` priced each at 0 on every
 * target: the cheapest was chosen no more often than the dearest, by load or a draw. Nothing is generated: any count
 * above 0 orders targets by their input price.
 */
export function estimateInputTokens(input: unknown): number {
  if (typeof input === 'string') return Math.ceil(input.length / CHARS_PER_TOKEN);
  if (typeof input === 'number') return 1;
  if (!Array.isArray(input)) return 0;
  let ids = 0;
  let longest = 0;
  for (const x of input) {
    if (typeof x === 'number') ids++;
    else if (typeof x === 'string') longest = Math.max(longest, Math.ceil(x.length / CHARS_PER_TOKEN));
    else if (Array.isArray(x)) longest = Math.max(longest, x.length);
  }
  return Math.max(ids, longest);
}
