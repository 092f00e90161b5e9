/**
 * The request bodies of OpenAI's API that aigw reads, as zod schemas (types are inferred from them).
 * Only the fields aigw acts on are described; every other field is kept as it came (loose objects).
 */
import { z } from 'zod';
import { arrayOf } from '../core/zod-array.js';

const ContentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

export const ChatMessage = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), arrayOf(ContentPart), z.null()]).optional(),
  name: z.string().optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/**
 * A seed is the backend's to read (the gateway forwards it as written): OpenAI's API and vLLM take any 64-bit integer,
 * which a random 64-bit seed is, past JavaScript's safe integers (2^53; held to them, such a request was a 400).
 */
const isSeed = (v: unknown): boolean => Number.isInteger(v) && Math.abs(v as number) <= 2 ** 63;
const Seed = z.number().refine(isSeed, { message: 'expected a 64-bit integer' }).nullable().optional();

/** include_usage null is not asked, as vLLM reads it (`Optional[bool]`) and as null is absent in the other fields. */
const StreamOptions = z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional();
const TokenCount = z.int().min(0).nullable().optional();

const GenerationFields = {
  model: z.string(),
  stream: z.boolean().nullable().optional(),
  stream_options: StreamOptions,
  max_tokens: TokenCount,
  seed: Seed,
  n: z.int().min(1).nullable().optional(),
};

export const ChatCompletionRequest = z.looseObject({
  ...GenerationFields,
  messages: arrayOf(ChatMessage, 1),
  max_completion_tokens: TokenCount,
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

type PromptValue = string | string[] | number[] | number[][];
const isTokenId = (v: unknown): boolean => Number.isSafeInteger(v);
const isTokenIds = (v: unknown): boolean => Array.isArray(v) && v.every(isTokenId);
const isString = (v: unknown): boolean => typeof v === 'string';

/**
 * OpenAI's `prompt` and `input`: a string, or an array of strings, of token ids or of token-id arrays. Checked in
 * one pass that stops at the first element of another kind than the first's — a zod union of arrays checked every
 * element of every branch (a few MiB of them held the event loop for seconds, valid or not).
 */
const Prompt = z.custom<PromptValue>().superRefine((v, ctx) => {
  if (typeof v === 'string') return;
  if (!Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: `expected a string or an array, got ${v === null ? 'null' : typeof v}` });
    return;
  }
  if (v.length === 0) return;
  const first = v[0];
  const [ok, kind] = isString(first)
    ? [isString, 'a string']
    : isTokenId(first)
      ? [isTokenId, 'a token id (an integer)']
      : isTokenIds(first)
        ? [isTokenIds, 'an array of token ids']
        : [undefined, 'a string, a token id (an integer) or an array of token ids'];
  for (let i = 0; i < v.length; i++) {
    if (ok?.(v[i])) continue;
    ctx.addIssue({ code: 'custom', message: i === 0 ? `expected ${kind}` : `expected ${kind}, as the first element is`, path: [i] });
    return;
  }
});

export const CompletionRequest = z.looseObject({ ...GenerationFields, prompt: Prompt });
export type CompletionRequest = z.infer<typeof CompletionRequest>;

export const EmbeddingRequest = z.looseObject({
  model: z.string(),
  input: Prompt,
  // Null is an unset option, as TEI (serde's Option) and vLLM (Optional) read it.
  encoding_format: z.enum(['float', 'base64']).nullable().optional(),
  dimensions: z.int().min(1).nullable().optional(),
});
export type EmbeddingRequest = z.infer<typeof EmbeddingRequest>;

/** Whether a completions body holds vLLM's prompt embeddings: a base64 string, or a list of them. */
export const hasPromptEmbeds = (v: unknown): boolean => (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0);

/**
 * What the gateway itself reads from a request — routing, streaming, usage and limits — validated on every
 * request. Message contents are the backend's to judge (it answers 400 itself), so they are not walked here.
 */
export const RoutedRequest = {
  chat: z.looseObject({ ...GenerationFields, max_completion_tokens: TokenCount, messages: z.array(z.unknown()).min(1) }),
  // vLLM takes `prompt_embeds` in place of a prompt (its validator asks for either): required whatever else the body
  // held, a request of embeddings alone was a 400 that vLLM answers.
  completions: z.looseObject({ ...GenerationFields, prompt: Prompt.nullish() }).superRefine((o, ctx) => {
    if (o.prompt == null && !hasPromptEmbeds(o.prompt_embeds)) {
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'either prompt or prompt_embeds must be given' });
    }
  }),
  embeddings: z.looseObject({ model: z.string(), input: Prompt }),
  // Anthropic's Messages API, read the same way: max_tokens (required there) is checked with the generation bounds.
  messages: z.looseObject({ model: z.string(), stream: z.boolean().optional(), messages: z.array(z.unknown()).min(1) }),
  count_tokens: z.looseObject({ model: z.string(), messages: z.array(z.unknown()).min(1) }),
} as const;

const absent = (v: unknown): boolean => v === undefined || v === null;
const intOrAbsent = (v: unknown, min: number): boolean => absent(v) || (Number.isSafeInteger(v) && (v as number) >= min);

/**
 * The hot path's check of a chat request, without zod: true only for the common well-formed shape, which
 * RoutedRequest.chat accepts too (a differential property test holds it to that); anything else goes
 * through the schema, which words the error.
 */
export function plainChatRequest(o: Record<string, unknown>): boolean {
  const so = o.stream_options;
  return (
    typeof o.model === 'string' &&
    Array.isArray(o.messages) &&
    o.messages.length > 0 &&
    (absent(o.stream) || typeof o.stream === 'boolean') &&
    (absent(so) ||
      (typeof so === 'object' &&
        !Array.isArray(so) &&
        (absent((so as { include_usage?: unknown }).include_usage) ||
          typeof (so as { include_usage?: unknown }).include_usage === 'boolean'))) &&
    intOrAbsent(o.max_tokens, 0) &&
    intOrAbsent(o.max_completion_tokens, 0) &&
    (absent(o.seed) || isSeed(o.seed)) &&
    intOrAbsent(o.n, 1)
  );
}

/** The text of one chat message: a string, or its text parts joined (images and audio carry no text). */
export function messageText(message: ChatMessage): string {
  const c = message.content;
  if (typeof c === 'string') return c;
  if (!c) return '';
  let out = '';
  for (const part of c) if (typeof part.text === 'string') out += part.text;
  return out;
}

/** A tool call as a template renders it: its name and its arguments' text. */
function callText(f: unknown): string {
  if (f === null || typeof f !== 'object') return '';
  const { name, arguments: args } = f as { name?: unknown; arguments?: unknown };
  return (typeof name === 'string' ? name : '') + (typeof args === 'string' ? args : '');
}

/**
 * An assistant turn's reasoning as a client sends it back (vLLM's `reasoning`, SGLang's `reasoning_content`): the
 * backend hands it to the template, which renders it (Qwen3's, GLM's, MiniMax's: the turns after the last user's).
 * Left out, a tool loop's assistant turn of ~4,000 tokens of reasoning, in a stream left at its first chunk, was
 * counted as nothing.
 */
function reasoningText(m: ChatMessage): string {
  if (m.role !== 'assistant') return '';
  const { reasoning, reasoning_content: content } = m as { reasoning?: unknown; reasoning_content?: unknown };
  return typeof reasoning === 'string' ? reasoning : typeof content === 'string' ? content : '';
}

/**
 * A content part's text as vLLM renders it: a refusal part's `refusal`, a thinking part's `thinking`, any other's
 * `text`. Read from `text` alone, an assistant turn of ~4,000 tokens of refusal parts, in a stream left at its first
 * chunk, was counted as nothing.
 */
function partText(part: unknown): string {
  if (part === null || typeof part !== 'object') return '';
  const { type, text, refusal, thinking } = part as { type?: unknown; text?: unknown; refusal?: unknown; thinking?: unknown };
  const t = type === 'refusal' ? refusal : type === 'thinking' ? thinking : text;
  return typeof t === 'string' ? t : '';
}

/**
 * A message's text as the backend's template renders it into the prompt: its content's, and the tool calls an
 * assistant message made (`tool_calls`, the legacy `function_call`). Counted from content alone, a conversation whose
 * bulk was its tool calls' arguments was counted as nearly nothing.
 */
export function promptText(m: ChatMessage): string {
  // Read as it comes: the tokenizer thread counts bodies no schema has checked (a part may be null).
  const c: unknown = m.content;
  let out = reasoningText(m);
  if (typeof c === 'string') out += c;
  else if (Array.isArray(c)) for (const part of c) out += partText(part);
  const calls = (m as { tool_calls?: unknown }).tool_calls;
  if (Array.isArray(calls)) for (const t of calls) out += callText((t as { function?: unknown } | null)?.function);
  return out + callText((m as { function_call?: unknown }).function_call);
}

/** One line naming the first problem zod found, with the field path: `messages.0.role: expected string`. */
export function describeIssue(error: z.ZodError): { message: string; param: string | null } {
  const issue = error.issues[0];
  if (!issue) return { message: 'invalid request', param: null };
  const param = issue.path.length ? issue.path.map(String).join('.') : null;
  return { message: param ? `${param}: ${issue.message}` : issue.message, param };
}
