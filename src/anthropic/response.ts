/**
 * What Anthropic's Messages API answers: the Message of a non-streamed request, and the events of a stream
 * (`message_start`, `content_block_start`/`_delta`/`_stop`, `message_delta`, `message_stop`, `ping`, `error`).
 */
import { z } from 'zod';
import { arrayOf } from '../core/zod-array.js';
import { ResponseBlock } from './blocks.js';

const Count = z.int().min(0);
const OptionalCount = Count.nullable().optional();

export const Usage = z.looseObject({
  input_tokens: Count,
  output_tokens: Count,
  cache_creation_input_tokens: OptionalCount,
  cache_read_input_tokens: OptionalCount,
});
export type Usage = z.infer<typeof Usage>;

export const StopReason = z.enum([
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'pause_turn',
  'refusal',
  'model_context_window_exceeded',
]);
export type StopReason = z.infer<typeof StopReason>;

export const Message = z.looseObject({
  id: z.string(),
  type: z.literal('message'),
  role: z.literal('assistant'),
  model: z.string(),
  content: arrayOf(ResponseBlock),
  /** null only in message_start; a stop reason aigw does not know is read as end_turn. */
  stop_reason: z.string().nullable(),
  stop_sequence: z.string().nullable().optional(),
  usage: Usage,
});
export type Message = z.infer<typeof Message>;

/**
 * message_start's message has no stop reason yet: Anthropic sends `null`, and a backend that leaves it out (the SDK
 * reads either) is read as null — with a refused first event now failing over, strictness here would drop a working
 * backend.
 */
export const MessageStartEvent = z.looseObject({
  type: z.literal('message_start'),
  message: Message.extend({ stop_reason: z.string().nullable().optional() }),
});

export const ContentBlockStartEvent = z.looseObject({
  type: z.literal('content_block_start'),
  index: Count,
  content_block: ResponseBlock,
});

/** Deltas aigw reads; others (citations_delta, …) are read as `{ type }` and ignored. */
export const BlockDelta = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text_delta'), text: z.string() }),
  z.looseObject({ type: z.literal('input_json_delta'), partial_json: z.string() }),
  z.looseObject({ type: z.literal('thinking_delta'), thinking: z.string() }),
  z.looseObject({ type: z.literal('signature_delta'), signature: z.string() }),
  z.looseObject({ type: z.literal('citations_delta') }),
]);
export type BlockDelta = z.infer<typeof BlockDelta>;

export const ContentBlockDeltaEvent = z.looseObject({ type: z.literal('content_block_delta'), index: Count, delta: BlockDelta });
export const ContentBlockStopEvent = z.looseObject({ type: z.literal('content_block_stop'), index: Count });

/** Usage in message_delta is cumulative; counts other than output_tokens appear when they changed. */
export const DeltaUsage = z.looseObject({
  output_tokens: Count,
  input_tokens: OptionalCount,
  cache_creation_input_tokens: OptionalCount,
  cache_read_input_tokens: OptionalCount,
});
export type DeltaUsage = z.infer<typeof DeltaUsage>;

export const MessageDeltaEvent = z.looseObject({
  type: z.literal('message_delta'),
  delta: z.looseObject({ stop_reason: z.string().nullable().optional(), stop_sequence: z.string().nullable().optional() }),
  /** Anthropic always sends it; a backend that does not leaves output uncounted. */
  usage: DeltaUsage.optional(),
});

/**
 * The Message, message_start and message_delta as the translations read them: the usage apart (readUsage,
 * readDeltaUsage). A usage a backend wrote unreadably (a count as a string, left out) is no count, as on every path
 * (docs/reliability.md trust 28) — never a reason to refuse the answer it came with: read as part of it, the answer was
 * a 502 (not streamed), a stream refused at its start or cut with an error frame at its message_delta.
 */
export const MessageAnyUsage = Message.extend({ usage: z.unknown().optional() });
export const MessageStartAnyUsage = MessageStartEvent.extend({
  message: MessageStartEvent.shape.message.extend({ usage: z.unknown().optional() }),
});
export const MessageDeltaAnyUsage = MessageDeltaEvent.extend({ usage: z.unknown().optional() });

/** A Message's (or message_start's) usage, when it can be read. */
export function readUsage(u: unknown): Usage | undefined {
  const r = Usage.safeParse(u);
  return r.success ? r.data : undefined;
}

/** A message_delta's usage, when there is one and it can be read. */
export function readDeltaUsage(u: unknown): DeltaUsage | undefined {
  if (u === undefined) return undefined;
  const r = DeltaUsage.safeParse(u);
  return r.success ? r.data : undefined;
}

export const MessageStopEvent = z.looseObject({ type: z.literal('message_stop') });
export const PingEvent = z.looseObject({ type: z.literal('ping') });

export const ErrorBody = z.looseObject({
  type: z.literal('error'),
  error: z.looseObject({ type: z.string(), message: z.string() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** One stream event, by the `type` of its data. */
export const StreamEvent = z.discriminatedUnion('type', [
  MessageStartEvent,
  ContentBlockStartEvent,
  ContentBlockDeltaEvent,
  ContentBlockStopEvent,
  MessageDeltaEvent,
  MessageStopEvent,
  PingEvent,
  ErrorBody,
]);
export type StreamEvent = z.infer<typeof StreamEvent>;

/** The event names of a stream, for the SSE `event:` field (Anthropic sends it equal to the data's `type`). */
export type StreamEventType = StreamEvent['type'];
