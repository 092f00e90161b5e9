/**
 * The request of Anthropic's Messages API (`POST /v1/messages`) as zod schemas, for the fields aigw reads
 * and translates; other fields are kept as they came (loose objects). Types are inferred from the schemas.
 */
import { z } from 'zod';
import { arrayOf } from '../core/zod-array.js';
import { jsonObject } from '../core/zod-json-object.js';
import { firstIssue } from '../core/zod-issue.js';
import { ContentBlock, TextBlock } from './blocks.js';

export const MessageParam = z.looseObject({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), arrayOf(ContentBlock)]),
});
export type MessageParam = z.infer<typeof MessageParam>;

/** A tool the model may call. Custom tools have no `type` (or `custom`); Anthropic's server tools name theirs. */
export const ToolDefinition = z.looseObject({
  name: z.string().min(1),
  type: z.string().optional(),
  description: z.string().optional(),
  input_schema: jsonObject.optional(),
});
export type ToolDefinition = z.infer<typeof ToolDefinition>;

const DisableParallel = { disable_parallel_tool_use: z.boolean().optional() };

export const ToolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), ...DisableParallel }),
  z.looseObject({ type: z.literal('any'), ...DisableParallel }),
  z.looseObject({ type: z.literal('tool'), name: z.string().min(1), ...DisableParallel }),
  z.looseObject({ type: z.literal('none') }),
]);
export type ToolChoice = z.infer<typeof ToolChoice>;

export const MessagesRequest = z.looseObject({
  model: z.string().min(1),
  messages: arrayOf(MessageParam, 1),
  /** Required by Anthropic: the answer stops there. */
  max_tokens: z.int().min(1),
  system: z.union([z.string(), arrayOf(TextBlock)]).optional(),
  stop_sequences: arrayOf(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.int().min(0).optional(),
  stream: z.boolean().optional(),
  tools: arrayOf(ToolDefinition).optional(),
  tool_choice: ToolChoice.optional(),
  metadata: z.looseObject({ user_id: z.string().nullable().optional() }).optional(),
  thinking: z.looseObject({ type: z.string(), budget_tokens: z.int().min(0).optional() }).optional(),
});
export type MessagesRequest = z.infer<typeof MessagesRequest>;

/** `POST /v1/messages/count_tokens`: the request without what only shapes the answer. */
export const CountTokensRequest = MessagesRequest.omit({
  max_tokens: true,
  stop_sequences: true,
  temperature: true,
  top_p: true,
  top_k: true,
  stream: true,
  metadata: true,
});
export type CountTokensRequest = z.infer<typeof CountTokensRequest>;

/** The system prompt as texts: a string is one text (none when empty), blocks are one text each. */
export function systemTexts(system: MessagesRequest['system']): string[] {
  if (system === undefined) return [];
  if (typeof system === 'string') return system === '' ? [] : [system];
  return system.map((b) => b.text);
}

/** One line naming the first problem zod found, with the field path, as Anthropic words it: `max_tokens: Field required`. */
export function describeAnthropicIssue(error: z.ZodError): { message: string; param: string | null } {
  const issue = firstIssue(error);
  if (!issue) return { message: 'invalid request', param: null };
  const param = issue.path.length ? issue.path.map(String).join('.') : null;
  const what = issue.message.endsWith('received undefined') ? 'Field required' : issue.message;
  return { message: param ? `${param}: ${what}` : what, param };
}
