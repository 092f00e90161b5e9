/**
 * Anthropic client → OpenAI backend, the request: a Messages request becomes a chat completions request.
 * The mapping table is the README's "Providers" section; what cannot map is a 400 naming the field.
 */
import { z } from 'zod';
import { jsonObject } from '../core/zod-json-object.js';
import type { Result } from '../core/errors.js';
import type { ContentBlock, ToolResultBlock } from '../anthropic/blocks.js';
import { describeAnthropicIssue, type MessageParam, MessagesRequest, systemTexts } from '../anthropic/wire.js';
import { elementStarts, memberSpan } from './json-members.js';
import { clip, imageUrlOf, openAIUserOf, refuse, sentToolId, serialize, tooDeep } from './mapping.js';
import type { TranslatedRequest } from './translated.js';

/** Fields of a Messages request that only Anthropic can serve: refused rather than silently dropped. */
const ANTHROPIC_ONLY: Readonly<Record<string, string>> = {
  container: 'code-execution containers',
  mcp_servers: 'remote MCP servers',
};

type Part = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
type OutMessage =
  | { role: 'system' | 'user'; content: string | Part[] }
  | { role: 'assistant'; content: string | null; tool_calls?: OutToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };
interface OutToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * Translates a Messages request (the parsed client body) into a chat completions body for `model` (the
 * target's upstream name). Streams always ask for `include_usage`: message_delta must carry the usage. `text`: the
 * JSON text the body was parsed from, when there is one — a tool_use's input goes as the client wrote it.
 * `completionTokens`: the limit goes as `max_completion_tokens` (Azure's reasoning deployments refuse `max_tokens`).
 */
export function messagesToChat(
  json: unknown,
  model: string,
  streamUsage = true,
  text?: string,
  completionTokens = false,
): Result<TranslatedRequest<MessagesRequest>> {
  const parsed = MessagesRequest.safeParse(json);
  if (!parsed.success) return refuse(...describe(parsed.error));
  const req = parsed.data;
  for (const [field, what] of Object.entries(ANTHROPIC_ONLY)) {
    // Null (`container` is string | null) and an empty server list ask for nothing only Anthropic serves.
    const v = req[field];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
      return refuse(`${field}: ${what} can only be served by an Anthropic backend`, field);
  }
  const system = systemMessage(req.system);
  const messages: OutMessage[] = system ? [system] : [];
  const inputs = new ClientInputs(text, req.messages.length);
  for (let i = 0; i < req.messages.length; i++) {
    const r = messageOf(req.messages[i]!, `messages.${i}`, (j) => inputs.of(i, j));
    if (!r.ok) return r;
    // One by one, not push(...r.value): a user message of ~120,000 tool results (a few MiB) overflowed the stack.
    for (const message of r.value) messages.push(message);
  }
  const out: Record<string, unknown> = { model, messages };
  out[completionTokens ? 'max_completion_tokens' : 'max_tokens'] = req.max_tokens;
  if (req.stop_sequences?.length) out.stop = req.stop_sequences;
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.top_p !== undefined) out.top_p = req.top_p;
  // Not OpenAI's, but vLLM, SGLang and TGI take it; OpenAI itself answers 400 (passed through).
  if (req.top_k !== undefined) out.top_k = req.top_k;
  if (req.metadata?.user_id) out.user = openAIUserOf(req.metadata.user_id);
  const tools = toolsOf(req);
  if (!tools.ok) return tools;
  Object.assign(out, tools.value);
  const format = responseFormatOf(req);
  if (!format.ok) return format;
  if (format.value) out.response_format = format.value;
  const stream = req.stream === true;
  if (stream) {
    out.stream = true;
    if (streamUsage) out.stream_options = { include_usage: true };
  }
  const body = serialize(out);
  return body === undefined ? tooDeep(null) : { ok: true, value: { body, stream, request: req } };
}

/**
 * The system prompt as one system message. Chat templates take one and refuse a second (Mistral's raises, Llama's
 * puts it mid-conversation), and Anthropic clients send theirs as several blocks (Claude Code's are two or more):
 * several blocks become the text parts of one message, which the backend joins as its template does.
 */
function systemMessage(system: MessagesRequest['system']): OutMessage | undefined {
  const texts = systemTexts(system);
  if (texts.length === 0) return undefined;
  return { role: 'system', content: texts.length === 1 ? texts[0]! : texts.map((text) => ({ type: 'text', text })) };
}

function describe(error: Parameters<typeof describeAnthropicIssue>[0]): [string, string | null] {
  const { message, param } = describeAnthropicIssue(error);
  return [message, param];
}

/** A block's input as the client wrote it (ClientInputs), by the block's place in its message. */
type InputText = (block: number) => string | undefined;

/**
 * The JSON text of each tool_use input in the client's body, `messages[i].content[j].input`: its messages' places
 * found once, each message's blocks when one is asked for — the body is read once however many calls it holds.
 */
class ClientInputs {
  /** Where each message starts; null when not read yet, undefined when the text is not the body parsed. */
  private messages: number[] | null | undefined = null;
  private message = -1;
  private blocks: number[] | undefined;

  constructor(
    private readonly text: string | undefined,
    private readonly count: number,
  ) {}

  of(i: number, j: number): string | undefined {
    const text = this.text;
    if (text === undefined) return undefined;
    // Read at the first tool_use: a request without one is not scanned again.
    if (this.messages === null) {
      const span = memberSpan(text, 0, 'messages');
      const starts = span && elementStarts(text, span.start);
      this.messages = starts?.length === this.count ? starts : undefined;
    }
    if (this.messages === undefined) return undefined;
    if (this.message !== i) {
      this.message = i;
      const content = memberSpan(text, this.messages[i]!, 'content');
      this.blocks = content && elementStarts(text, content.start);
    }
    const at = this.blocks?.[j];
    const input = at === undefined ? undefined : memberSpan(text, at, 'input');
    return input && text.slice(input.start, input.end);
  }
}

function messageOf(m: MessageParam, at: string, inputText: InputText): Result<OutMessage[]> {
  if (typeof m.content === 'string') {
    return { ok: true, value: [m.role === 'user' ? { role: 'user', content: m.content } : { role: 'assistant', content: m.content }] };
  }
  return m.role === 'user' ? userMessages(m.content, at) : assistantMessage(m.content, at, inputText);
}

/**
 * Tool results first, as tool messages (OpenAI wants them right after the assistant's calls), then the user's turn —
 * which carries the pictures the results held first (a tool message is text only).
 */
function userMessages(blocks: readonly ContentBlock[], at: string): Result<OutMessage[]> {
  const out: OutMessage[] = [];
  const parts: Part[] = [];
  /** The tool results' pictures, in order. */
  const carried: Part[] = [];
  let images = false;
  for (let j = 0; j < blocks.length; j++) {
    const b = blocks[j]!;
    const param = `${at}.content.${j}`;
    if (b.type === 'text') parts.push({ type: 'text', text: b.text });
    else if (b.type === 'image') {
      const url = imageUrlOf(b.source, `${param}.source`);
      if (!url.ok) return url;
      parts.push({ type: 'image_url', image_url: { url: url.value } });
      images = true;
    } else if (b.type === 'tool_result') {
      const r = toolMessage(b, param, carried);
      if (!r.ok) return r;
      out.push(r.value);
    } else return misplaced(b, param, 'a user message');
  }
  if (carried.length) out.push({ role: 'user', content: [...carried, ...parts] });
  else if (parts.length) out.push({ role: 'user', content: images ? parts : joinText(parts) });
  return { ok: true, value: out };
}

/**
 * A tool result as a tool message: its text. Its pictures (a screenshot, an image file the tool read: Claude Code's
 * Read and browser tools answer so) go to `carried`, for the user turn after the tool messages — refused, such a result
 * made its turn and every later one of the conversation (its history keeps it) a 400.
 */
function toolMessage(b: ToolResultBlock, param: string, carried: Part[]): Result<OutMessage> {
  let content = '';
  if (typeof b.content === 'string') content = b.content;
  else if (b.content) {
    for (let k = 0; k < b.content.length; k++) {
      const c = b.content[k]!;
      if (c.type === 'image') {
        const url = imageUrlOf(c.source, `${param}.content.${k}.source`);
        if (!url.ok) return url;
        carried.push({ type: 'image_url', image_url: { url: url.value } });
        continue;
      }
      if (c.type !== 'text') {
        return refuse(
          `${param}.content.${k}: a ${clip(c.original)} block in a tool result cannot be sent to an OpenAI backend (text and images only)`,
          `${param}.content`,
        );
      }
      content += c.text;
    }
  }
  // A tool message has no error flag: without one in the text, the model reads a failed call's message as its
  // result. Prefixed, the model still learns that the call failed.
  if (b.is_error === true) content = `Error: ${content}`;
  return { ok: true, value: { role: 'tool', tool_call_id: sentToolId(b.tool_use_id), content } };
}

function assistantMessage(blocks: readonly ContentBlock[], at: string, inputText: InputText): Result<OutMessage[]> {
  let text = '';
  const calls: OutToolCall[] = [];
  for (let j = 0; j < blocks.length; j++) {
    const b = blocks[j]!;
    const param = `${at}.content.${j}`;
    if (b.type === 'text') text += b.text;
    else if (b.type === 'tool_use') {
      const args = serialize(b.input);
      if (args === undefined) return tooDeep(`${param}.input`);
      calls.push({ id: sentToolId(b.id), type: 'function', function: { name: b.name, arguments: exactInput(args, inputText(j)) } });
    } else if (b.type !== 'thinking' && b.type !== 'redacted_thinking') return misplaced(b, param, 'an assistant message');
    // Thinking blocks are the backend's own reasoning: chat completions have no field to send them back in.
  }
  const msg: OutMessage = { role: 'assistant', content: text === '' && calls.length ? null : text };
  if (calls.length) msg.tool_calls = calls;
  return { ok: true, value: [msg] };
}

/**
 * A tool_use's input as the model's history shows it: as the client wrote it, when that is the input parsed. Written
 * again from the parsed value, a number JavaScript cannot hold exactly (`12345678901234567891`, a 19-digit id the model
 * wrote and the client ran the tool with) went to the backend as another (`12345678901234567000`): the model read its
 * own call with an id that was never its.
 */
function exactInput(args: string, raw: string | undefined): string {
  if (raw === undefined || raw.length === 0) return args;
  try {
    return serialize(JSON.parse(raw)) === args ? raw : args;
  } catch {
    return args;
  }
}

function misplaced(b: ContentBlock, param: string, where: string): Result<never> {
  if (b.type === 'unknown') return refuse(`${param}: a ${clip(b.original)} block cannot be sent to an OpenAI backend`, param);
  return refuse(`${param}: a ${b.type} block does not belong in ${where}`, param);
}

function joinText(parts: readonly Part[]): string {
  let s = '';
  for (const p of parts) if (p.type === 'text') s += p.text;
  return s;
}

/** A structured output's format as the translation reads it: a JSON schema, Anthropic's one kind. */
const JsonSchemaFormat = z.looseObject({ type: z.literal('json_schema'), schema: jsonObject });

/**
 * Structured output — `output_config.format`, or the beta's `output_format` — asks for an answer that follows a JSON
 * schema (the SDK's `messages.parse()` parses it). Dropped with the fields not translated, the backend wrote free
 * text where the client asked for, and its SDK parses, JSON of that schema: OpenAI's `response_format` json_schema is
 * the same constraint (vLLM decodes by it), strict as Anthropic's is. Another format is a 400 naming it.
 */
function responseFormatOf(req: MessagesRequest): Result<Record<string, unknown> | undefined> {
  const config = req.output_config;
  const fromConfig = config !== null && typeof config === 'object' ? (config as { format?: unknown }).format : undefined;
  const [format, param] = fromConfig != null ? [fromConfig, 'output_config.format'] : [req.output_format, 'output_format'];
  if (format == null) return { ok: true, value: undefined };
  const type = typeof format === 'object' ? (format as { type?: unknown }).type : undefined;
  if (type !== 'json_schema') {
    const what = typeof type === 'string' ? clip(type) : 'a format without a type';
    return refuse(`${param}.type: ${what} cannot be sent to an OpenAI backend (json_schema only)`, `${param}.type`);
  }
  const parsed = JsonSchemaFormat.safeParse(format);
  if (!parsed.success) {
    const { message, param: inner } = describeAnthropicIssue(parsed.error);
    return inner ? refuse(`${param}.${message}`, `${param}.${inner}`) : refuse(`${param}: ${message}`, param);
  }
  return { ok: true, value: { type: 'json_schema', json_schema: { name: 'output', schema: parsed.data.schema, strict: true } } };
}

/** Custom tools become functions; Anthropic's server tools (web search, code execution, …) cannot run elsewhere. */
function toolsOf(req: MessagesRequest): Result<Record<string, unknown>> {
  if (!req.tools?.length) return { ok: true, value: {} };
  const tools = [];
  for (let i = 0; i < req.tools.length; i++) {
    const t = req.tools[i]!;
    if (t.type !== undefined && t.type !== 'custom') {
      return refuse(`tools.${i}: Anthropic's server tool ${clip(t.type)} cannot be served by an OpenAI backend`, `tools.${i}.type`);
    }
    if (!t.input_schema) return refuse(`tools.${i}.input_schema: Field required`, `tools.${i}.input_schema`);
    const fn: Record<string, unknown> = { name: t.name };
    if (t.description !== undefined) fn.description = t.description;
    fn.parameters = t.input_schema;
    tools.push({ type: 'function', function: fn });
  }
  const out: Record<string, unknown> = { tools };
  const choice = req.tool_choice;
  if (choice) {
    if (choice.type === 'auto') out.tool_choice = 'auto';
    else if (choice.type === 'any') out.tool_choice = 'required';
    else if (choice.type === 'none') out.tool_choice = 'none';
    else out.tool_choice = { type: 'function', function: { name: choice.name } };
    if (choice.type !== 'none' && choice.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  }
  return { ok: true, value: out };
}
