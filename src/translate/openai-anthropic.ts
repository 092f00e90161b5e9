/**
 * OpenAI client → Anthropic backend, the request: a chat completions request becomes a Messages request.
 * Parameters Anthropic has no equivalent for are refused with a 400 naming them when they would change the
 * answer (n > 1, logprobs, penalties, JSON modes, audio …), and dropped when they would not (seed, store,
 * service_tier, metadata). The README's "Providers" section is the table.
 */
import type { Result } from '../core/errors.js';
import { firstIssue } from '../core/zod-issue.js';
import { ChatRequest } from './openai-chat.js';
import { conversationOf } from './openai-anthropic-messages.js';
import { ExactJson } from './exact-json.js';
import { MAX_LOCAL_STOP_LENGTH, MAX_LOCAL_STOPS, splitStops } from './local-stop.js';
import { clip, digestedUserId, refuse, tooDeep } from './mapping.js';
import type { TranslatedRequest } from './translated.js';

/** Anthropic requires max_tokens; an OpenAI request without one gets this many: Claude 3's output limit, the lowest of any Claude model. */
export const DEFAULT_MAX_TOKENS = 4096;

/** Fields that would change the answer but have no Anthropic equivalent: refused when set to a non-default value. */
const UNMAPPABLE: readonly [field: string, isSet: (v: unknown) => boolean, why: string][] = [
  ['n', (v) => typeof v === 'number' && v > 1, 'an Anthropic backend answers one choice'],
  ['logprobs', (v) => v === true, 'an Anthropic backend reports no log probabilities'],
  ['top_logprobs', (v) => v !== null && v !== undefined && v !== 0, 'an Anthropic backend reports no log probabilities'],
  ['logit_bias', (v) => !!v && typeof v === 'object' && Object.keys(v).length > 0, 'an Anthropic backend takes no logit bias'],
  ['presence_penalty', (v) => typeof v === 'number' && v !== 0, 'an Anthropic backend has no presence penalty'],
  ['frequency_penalty', (v) => typeof v === 'number' && v !== 0, 'an Anthropic backend has no frequency penalty'],
  ['response_format', (v) => !!v && typeof v === 'object' && (v as { type?: unknown }).type !== 'text', 'JSON modes are not translated'],
  ['audio', (v) => v !== null && v !== undefined, 'an Anthropic backend produces no audio'],
  ['modalities', (v) => Array.isArray(v) && v.some((m) => m !== 'text'), 'an Anthropic backend produces text only'],
  ['prediction', (v) => v !== null && v !== undefined, 'predicted outputs are OpenAI-only'],
  ['web_search_options', (v) => v !== null && v !== undefined, "OpenAI's web search is not translated"],
  ['reasoning_effort', (v) => v !== null && v !== undefined, 'reasoning effort is not translated'],
  ['functions', (v) => v !== null && v !== undefined, 'the deprecated functions field is not translated (use tools)'],
  ['function_call', (v) => v !== null && v !== undefined, 'the deprecated function_call field is not translated (use tool_choice)'],
];

export interface ChatToMessagesOptions {
  /** The target's upstream model name. */
  model: string;
}

/** What the stream and response translations need to know about the client's request. */
export interface ChatRequestInfo {
  includeUsage: boolean;
  /** The max_tokens sent: an Anthropic backend generates no more (thinking included), whatever its usage claims. */
  maxTokens: number;
  /** Stop sequences the backend was not sent (whitespace alone, which Anthropic refuses): the answer stops at them here. */
  stops: string[];
}

export function chatToMessages(json: unknown, opts: ChatToMessagesOptions): Result<TranslatedRequest<ChatRequestInfo>> {
  const parsed = ChatRequest.safeParse(json);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    const param = issue?.path.length ? issue.path.map(String).join('.') : null;
    return refuse(param ? `${param}: ${issue!.message}` : (issue?.message ?? 'invalid request'), param);
  }
  const req = parsed.data;
  for (const [field, isSet, why] of UNMAPPABLE) {
    if (isSet(req[field])) return refuse(`${field}: ${why}`, field);
  }
  if (typeof req.temperature === 'number' && req.temperature > 1) {
    return refuse(`temperature: ${req.temperature} is above 1, the most an Anthropic backend takes`, 'temperature');
  }
  const exact = new ExactJson();
  const conv = conversationOf(req.messages, exact);
  if (!conv.ok) return conv;
  const out: Record<string, unknown> = { model: opts.model };
  if (conv.value.system.length) out.system = conv.value.system;
  out.messages = conv.value.messages;
  const maxTokens = req.max_completion_tokens ?? req.max_tokens ?? DEFAULT_MAX_TOKENS;
  out.max_tokens = maxTokens;
  // Stop sequences of whitespace alone (`"\n"`) Anthropic refuses: applied to the answer here instead (local-stop.ts).
  const stops = splitStops(typeof req.stop === 'string' ? [req.stop] : (req.stop ?? []));
  if (stops.local.length > MAX_LOCAL_STOPS || stops.local.some((s) => s.length > MAX_LOCAL_STOP_LENGTH)) {
    return refuse(
      `stop: at most ${MAX_LOCAL_STOPS} stop sequences of whitespace alone, of at most ${MAX_LOCAL_STOP_LENGTH} characters, can be applied for an Anthropic backend`,
      'stop',
    );
  }
  if (stops.sent.length) out.stop_sequences = stops.sent;
  if (typeof req.temperature === 'number') out.temperature = req.temperature;
  // top_p 1 is no cut at all (OpenAI's default, and Anthropic's), and clients send it beside a temperature as their
  // default: Claude models since Sonnet 4.5 refuse the two together (400 "`temperature` and `top_p` cannot both be
  // specified for this model"), so a request OpenAI answers was refused for a setting that changes nothing.
  if (typeof req.top_p === 'number' && req.top_p !== 1) out.top_p = req.top_p;
  // Not OpenAI's, but vLLM's clients send it and Anthropic takes it.
  if (Number.isInteger(req.top_k) && (req.top_k as number) >= 0) out.top_k = req.top_k;
  if (req.user) out.metadata = { user_id: anthropicUserId(req.user) };
  const tools = toolsOf(req);
  if (!tools.ok) return tools;
  Object.assign(out, tools.value);
  const stream = req.stream === true;
  if (stream) out.stream = true;
  const body = exact.serialize(out);
  if (body === undefined) return tooDeep(null);
  return {
    ok: true,
    value: { body, stream, request: { includeUsage: req.stream_options?.include_usage === true, maxTokens, stops: stops.local } },
  };
}

/** The longest `metadata.user_id` Anthropic takes. */
const MAX_USER_ID = 256;
const EMAIL = /[^\s@]@[^\s@]+\.[^\s@]/;
/** Digits and a phone number's punctuation alone, seven digits or more. */
const PHONE = /^\+?[\d\s().-]+$/;

/**
 * An OpenAI `user` as Anthropic's `metadata.user_id`. OpenAI takes any string, and clients send their user's email
 * address; Anthropic refuses one that is an email address or a phone number (400 "user_id appears to contain an email
 * address. Please send a uuid or hash value") or is over 256 characters, so every request of such a client failed. Such
 * an id goes as a digest of it — one user, one id, as Anthropic asks for it; an opaque one goes as it came.
 */
function anthropicUserId(user: string): string {
  const plain = user.length <= MAX_USER_ID && !EMAIL.test(user) && !(PHONE.test(user) && user.replace(/\D/g, '').length >= 7);
  return plain ? user : digestedUserId(user);
}

/**
 * A function's parameters as Anthropic's input_schema, which must say `type: "object"` (400 "input_schema.type: Field
 * required" otherwise). OpenAI takes a schema without a type — `{}` is how clients write a function of no arguments —
 * and its arguments are an object all the same: such a schema gets the type, the rest kept as it came. A type that is
 * there is left for the backend to judge.
 */
function inputSchemaOf(parameters: Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (parameters === undefined || parameters === null) return { type: 'object', properties: {} };
  return Object.hasOwn(parameters, 'type') ? parameters : { type: 'object', ...parameters };
}

function toolsOf(req: ChatRequest): Result<Record<string, unknown>> {
  if (!req.tools?.length) return { ok: true, value: {} };
  const tools = [];
  for (let i = 0; i < req.tools.length; i++) {
    const t = req.tools[i]!;
    if (t.type !== 'function' || !t.function) {
      return refuse(`tools.${i}.type: ${clip(t.type)} tools cannot be sent to an Anthropic backend (function only)`, `tools.${i}.type`);
    }
    const tool: Record<string, unknown> = { name: t.function.name };
    if (t.function.description !== undefined && t.function.description !== null) tool.description = t.function.description;
    tool.input_schema = inputSchemaOf(t.function.parameters);
    // Prompt caching of the tools (what comes first in Claude's prompt), marked as LiteLLM takes it: on the tool.
    const cache = (t as { cache_control?: unknown }).cache_control;
    if (cache !== null && typeof cache === 'object' && !Array.isArray(cache)) tool.cache_control = cache;
    tools.push(tool);
  }
  const out: Record<string, unknown> = { tools };
  const noParallel = req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  const c = req.tool_choice;
  if (c === undefined || c === null) {
    if (req.parallel_tool_calls === false) out.tool_choice = { type: 'auto', ...noParallel };
  } else if (c === 'auto') out.tool_choice = { type: 'auto', ...noParallel };
  else if (c === 'required') out.tool_choice = { type: 'any', ...noParallel };
  else if (c === 'none') out.tool_choice = { type: 'none' };
  else if (typeof c === 'object' && c.type === 'function' && c.function)
    out.tool_choice = { type: 'tool', name: c.function.name, ...noParallel };
  else {
    const what = typeof c === 'string' ? clip(c) : `type ${clip(c.type)}`;
    return refuse(`tool_choice: ${what} cannot be sent to an Anthropic backend (auto, none, required or a function)`, 'tool_choice');
  }
  return { ok: true, value: out };
}
