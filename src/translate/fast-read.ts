/**
 * The stream translators' hot path: a chat completion chunk and Anthropic's content_block_delta, checked
 * without zod (which costs more than the JSON.parse before it). The zod schemas stay the reference and the
 * types; a property test (test/unit/translate/fast-read.test.ts) holds these readers to their exact answers.
 */
import type { z } from 'zod';
import type { ContentBlockDeltaEvent } from '../anthropic/response.js';
import type { ChatChunk, ChatUsage } from './openai-chat.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
/** `.nullable().optional()` of a string. */
const isText = (v: unknown): boolean => v === undefined || v === null || typeof v === 'string';
const absent = (v: unknown): boolean => v === undefined || v === null;

function isToolCall(v: unknown): boolean {
  if (!isObj(v) || !(absent(v.index) || isCount(v.index)) || !isText(v.id)) return false;
  const f = v.function;
  return absent(f) || (isObj(f) && isText(f.name) && isText(f.arguments));
}

function isChoice(v: unknown): boolean {
  if (!isObj(v) || !isText(v.finish_reason)) return false;
  const stop = v.stop_reason;
  if (!(absent(stop) || typeof stop === 'string' || (typeof stop === 'number' && Number.isFinite(stop)))) return false;
  const d = v.delta;
  if (absent(d)) return true;
  if (!isObj(d) || !isText(d.content) || !isText(d.refusal) || !isText(d.reasoning_content) || !isText(d.reasoning)) return false;
  const calls = d.tool_calls;
  return absent(calls) || (Array.isArray(calls) && calls.every(isToolCall));
}

function isUsage(v: unknown): boolean {
  if (!isObj(v) || !isCount(v.prompt_tokens) || !isCount(v.completion_tokens)) return false;
  const details = v.prompt_tokens_details;
  return absent(details) || (isObj(details) && (absent(details.cached_tokens) || isCount(details.cached_tokens)));
}

/**
 * A parsed chunk as its type, or undefined when ChatChunk.safeParse would refuse it. Its usage is not looked at: read it
 * with readChatUsage.
 */
export function readChatChunk(v: unknown): ChatChunk | undefined {
  if (!isObj(v)) return undefined;
  if ((v.id !== undefined && typeof v.id !== 'string') || (v.model !== undefined && typeof v.model !== 'string')) return undefined;
  if (v.choices !== undefined && !(Array.isArray(v.choices) && v.choices.every(isChoice))) return undefined;
  return v as ChatChunk;
}

/** A chunk's or an answer's usage as its type, or undefined when there is none or ChatUsage.safeParse would refuse it. */
export function readChatUsage(v: unknown): ChatUsage | undefined {
  return !absent(v) && isUsage(v) ? (v as ChatUsage) : undefined;
}

const DELTA_FIELD: Readonly<Record<string, string | undefined>> = {
  text_delta: 'text',
  input_json_delta: 'partial_json',
  thinking_delta: 'thinking',
  signature_delta: 'signature',
  citations_delta: undefined,
};

/** A parsed content_block_delta as its type, or undefined when ContentBlockDeltaEvent.safeParse would refuse it. */
export function readBlockDelta(v: unknown): z.infer<typeof ContentBlockDeltaEvent> | undefined {
  if (!isObj(v) || v.type !== 'content_block_delta' || !isCount(v.index) || !isObj(v.delta)) return undefined;
  const type = v.delta.type;
  if (typeof type !== 'string' || !Object.hasOwn(DELTA_FIELD, type)) return undefined;
  const field = DELTA_FIELD[type];
  if (field !== undefined && typeof v.delta[field] !== 'string') return undefined;
  return v as z.infer<typeof ContentBlockDeltaEvent>;
}
