/**
 * OpenAI's chat completions as the translators read them: the request a client sends (messages with their
 * content parts, tools, tool calls), the completion a backend answers and the chunks of its stream.
 * Loose objects: fields not named here are checked by the translators against the mapping table.
 */
import { z } from 'zod';
import { arrayOf } from '../core/zod-array.js';
import { jsonObject } from '../core/zod-json-object.js';
import { taggedUnion } from '../core/tagged-union.js';

const TextPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const ImageUrlPart = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string(), detail: z.string().nullable().optional() }),
});
const RefusalPart = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });

const TextContent = z.union([z.string(), arrayOf(taggedUnion('type', { text: TextPart }))]);

export const UserPart = taggedUnion('type', { text: TextPart, image_url: ImageUrlPart });
export type UserPart = z.output<typeof UserPart>;

export const RequestToolCall = z.looseObject({
  id: z.string(),
  type: z.string().optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
export type RequestToolCall = z.infer<typeof RequestToolCall>;

export const ChatMessage = taggedUnion('role', {
  system: z.looseObject({ role: z.literal('system'), content: TextContent }),
  developer: z.looseObject({ role: z.literal('developer'), content: TextContent }),
  user: z.looseObject({ role: z.literal('user'), content: z.union([z.string(), arrayOf(UserPart)]) }),
  assistant: z.looseObject({
    role: z.literal('assistant'),
    content: z.union([z.string(), arrayOf(taggedUnion('type', { text: TextPart, refusal: RefusalPart })), z.null()]).optional(),
    refusal: z.string().nullable().optional(),
    tool_calls: arrayOf(RequestToolCall).nullable().optional(),
  }),
  tool: z.looseObject({ role: z.literal('tool'), tool_call_id: z.string(), content: TextContent }),
});
export type ChatMessage = z.output<typeof ChatMessage>;

export const ChatTool = z.looseObject({
  type: z.string(),
  function: z
    .looseObject({
      name: z.string().min(1),
      description: z.string().nullable().optional(),
      parameters: jsonObject.nullable().optional(),
    })
    .optional(),
});

export const ChatToolChoice = z.union([
  z.string(),
  z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string().min(1) }).optional() }),
]);

const Count = z.int().min(0);
const NullableTokens = z.int().min(1).nullable().optional();

export const ChatRequest = z.looseObject({
  model: z.string().min(1),
  messages: arrayOf(ChatMessage, 1),
  max_tokens: NullableTokens,
  max_completion_tokens: NullableTokens,
  stop: z
    .union([z.string(), arrayOf(z.string())])
    .nullable()
    .optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.int().min(1).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  // include_usage null is not asked, as on the pass-through path (openai/wire.ts) and as vLLM reads it.
  stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
  // Null is an unset option (client wrappers write `tools=None` so), as OpenAI's API and vLLM read it.
  tools: arrayOf(ChatTool).nullable().optional(),
  tool_choice: ChatToolChoice.nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  user: z.string().nullable().optional(),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

export const ChatUsage = z.looseObject({
  prompt_tokens: Count,
  completion_tokens: Count,
  prompt_tokens_details: z.looseObject({ cached_tokens: Count.nullable().optional() }).nullable().optional(),
});
export type ChatUsage = z.infer<typeof ChatUsage>;

/**
 * An answer's usage as it came, read apart from the answer (fast-read.ts readChatUsage): a count a backend wrote
 * unreadably (a string, left out) is no count, as on every path (docs/reliability.md trust 28) — never a reason to
 * refuse the answer it came with. Read as part of the chunk, a usage chunk of `"completion_tokens": "7"` after a whole
 * streamed answer ended an Anthropic client's stream with an error frame (the SDK threw the answer away), and the same
 * answer not streamed was a 502 that failed over to another target.
 */
const AnyUsage = z.unknown().optional();

const ResponseToolCall = z.looseObject({
  id: z.string().optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

/** Reasoning text: vLLM's and DeepSeek's `reasoning_content`, or the newer `reasoning`. */
const Reasoning = { reasoning_content: z.string().nullable().optional(), reasoning: z.string().nullable().optional() };

/** vLLM names the stop string (or token id) that ended the answer; OpenAI does not. */
const VllmStopReason = z.union([z.string(), z.number()]).nullable().optional();

export const ChatCompletion = z.looseObject({
  id: z.string(),
  model: z.string(),
  choices: arrayOf(
    z.looseObject({
      message: z.looseObject({
        content: z.string().nullable().optional(),
        tool_calls: z.array(ResponseToolCall).nullable().optional(),
        refusal: z.string().nullable().optional(),
        ...Reasoning,
      }),
      finish_reason: z.string().nullable().optional(),
      stop_reason: VllmStopReason,
    }),
  ),
  usage: AnyUsage,
});
export type ChatCompletion = z.infer<typeof ChatCompletion>;

export const ChunkToolCall = z.looseObject({
  /** Left out by some OpenAI-compatible servers (Ollama, Gemini's API, SGLang): the stream translator infers it. */
  index: Count.nullable().optional(),
  id: z.string().nullable().optional(),
  function: z.looseObject({ name: z.string().nullable().optional(), arguments: z.string().nullable().optional() }).nullable().optional(),
});
export type ChunkToolCall = z.infer<typeof ChunkToolCall>;

export const ChatChunk = z.looseObject({
  id: z.string().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        delta: z
          .looseObject({
            content: z.string().nullable().optional(),
            refusal: z.string().nullable().optional(),
            tool_calls: arrayOf(ChunkToolCall).nullable().optional(),
            ...Reasoning,
          })
          .nullable()
          .optional(),
        finish_reason: z.string().nullable().optional(),
        stop_reason: VllmStopReason,
      }),
    )
    .optional(),
  usage: AnyUsage,
});
export type ChatChunk = z.infer<typeof ChatChunk>;
