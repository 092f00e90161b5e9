/**
 * Anthropic's content blocks as zod schemas. A block is validated by the schema its `type` names, so an
 * error points at the field at fault (`messages.0.content.1.source.data`); a block type aigw does not
 * translate passes validation as an `UnknownBlock` naming it, for the translators to refuse clearly.
 */
import { z } from 'zod';
import { arrayOf } from '../core/zod-array.js';
import { jsonObject } from '../core/zod-json-object.js';
import { taggedUnion, type Unknown } from '../core/tagged-union.js';

export const TextBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
export type TextBlock = z.infer<typeof TextBlock>;

const Base64Source = z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() });
const UrlSource = z.looseObject({ type: z.literal('url'), url: z.string() });
/** A file uploaded through Anthropic's Files API: only an Anthropic backend can resolve it. */
const FileSource = z.looseObject({ type: z.literal('file'), file_id: z.string() });

export const ImageBlock = z.looseObject({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [Base64Source, UrlSource, FileSource]),
});
export type ImageBlock = z.infer<typeof ImageBlock>;

export const ToolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: jsonObject,
});
export type ToolUseBlock = z.infer<typeof ToolUseBlock>;

/**
 * A thinking block. Anthropic opens one in a stream with `"signature": ""` and signs it in a signature_delta; servers of
 * its API that think unasked (llama.cpp's before it added the field) send no signature at all, and the Anthropic SDK
 * keeps such a block, so a client's history holds it as it came. No translation needs a signature (an OpenAI client
 * gets the thinking as reasoning_content; an OpenAI backend is not sent it): required in a request, every later turn of
 * such a conversation on an OpenAI target was a 400 "signature: Field required". Whether Anthropic would take it is
 * Anthropic's to say (the mock says it as Anthropic does: mock/anthropic-content.ts).
 */
export const ThinkingBlock = z.looseObject({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().optional() });
export type ThinkingBlock = z.infer<typeof ThinkingBlock>;

export const RedactedThinkingBlock = z.looseObject({ type: z.literal('redacted_thinking'), data: z.string() });
export type RedactedThinkingBlock = z.infer<typeof RedactedThinkingBlock>;

/** A block of a type aigw does not read (document, search_result, server tool results, …), by its `type`. */
export type UnknownBlock = Unknown<'type'>;

/** What a tool_result may hold besides a string. */
export const ToolResultContentBlock = taggedUnion('type', { text: TextBlock, image: ImageBlock });
export type ToolResultContentBlock = z.output<typeof ToolResultContentBlock>;

export const ToolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), arrayOf(ToolResultContentBlock)]).optional(),
  is_error: z.boolean().optional(),
});
export type ToolResultBlock = z.infer<typeof ToolResultBlock>;

/** A block of a request message. */
export const ContentBlock = taggedUnion('type', {
  text: TextBlock,
  image: ImageBlock,
  tool_use: ToolUseBlock,
  tool_result: ToolResultBlock,
  thinking: ThinkingBlock,
  redacted_thinking: RedactedThinkingBlock,
});
export type ContentBlock = z.output<typeof ContentBlock>;

/** A block of a response message. */
export const ResponseBlock = taggedUnion('type', {
  text: TextBlock,
  tool_use: ToolUseBlock,
  thinking: ThinkingBlock,
  redacted_thinking: RedactedThinkingBlock,
});
export type ResponseBlock = z.output<typeof ResponseBlock>;

/** The text of a tool result: the string, or its text blocks joined. */
export function toolResultText(block: ToolResultBlock): string {
  const c = block.content;
  if (c === undefined) return '';
  if (typeof c === 'string') return c;
  let out = '';
  for (const b of c) if (b.type === 'text') out += b.text;
  return out;
}
