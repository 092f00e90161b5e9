/**
 * The Anthropic mock: `POST /v1/messages` (streamed and not) and `POST /v1/messages/count_tokens`, with the
 * header checks of the real API (`x-api-key` or Bearer, `anthropic-version`). Its text is the vLLM mock's
 * for the same prompt: the prompt key is the chat key of the request's plain-text view
 * (anthropic/prompt-view.ts), which is also the prompt its translation to chat completions carries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nextId } from '../core/ids.js';
import { countedTurns, textTurns } from '../anthropic/prompt-view.js';
import { CountTokensRequest, describeAnthropicIssue, MessagesRequest } from '../anthropic/wire.js';
import type { TokenCounter } from '../openai/tokens.js';
import { type AnthropicAnswer, anthropicErrorEvent, anthropicErrorJson, anthropicFraming, anthropicToolUse } from './anthropic-shapes.js';
import { contentProblem, thinkingLoopProblem } from './anthropic-content.js';
import type { MockContext } from './context.js';
import { parseDirective, readControls } from './controls.js';
import { bearer, header, keyAccepted } from './credentials.js';
import { sendJson } from './http.js';
import { faultBeforeBody, pacing, prefillOf } from './preflight.js';
import { respondCompletion } from './respond-completion.js';
import { chatPromptKey, MAX_ANSWER_TOKENS, textSeed } from './text.js';
import { anthropicTools, argumentsWithin, requestedTool, respondToolCall, toolArguments, trackedFragments } from './tool-call.js';

const VERSION = /^\d{4}-\d{2}-\d{2}$/;

/** Ids shaped like Anthropic's: `msg_…`, `toolu_…`, `req_…`. */
const anthropicId = (prefix: string) => `${prefix}_${nextId('m').slice(2)}`;

/** Anthropic's error body for a refusal, and its request-id header. */
export function anthropicRefusal(status: number, message: string): { body: string; headers: Record<string, string> } {
  const requestId = anthropicId('req');
  const message_ = status === 529 ? 'Overloaded' : message;
  return { body: anthropicErrorJson(status, message_, requestId), headers: { 'request-id': requestId } };
}

/** Replies with Anthropic's error shape and its request-id header. */
export function anthropicReject(res: ServerResponse, ctx: MockContext, status: number, message: string): void {
  const { body, headers } = anthropicRefusal(status, message);
  sendJson(res, status, body, { ...ctx.identity, ...headers });
}

/** The real API's checks: a key (x-api-key, or a Bearer token), then a valid anthropic-version. */
function headerProblem(req: IncomingMessage, ctx: MockContext): [number, string] | undefined {
  const key = header(req.headers, 'x-api-key') ?? bearer(req.headers);
  if (!key) return [401, 'x-api-key header is required'];
  if (!keyAccepted(key, ctx.config.apiKey)) return [401, 'invalid x-api-key'];
  const version = header(req.headers, 'anthropic-version');
  if (version === undefined) return [400, 'anthropic-version: header is required'];
  if (!VERSION.test(version)) return [400, `anthropic-version: ${JSON.stringify(version.slice(0, 40))} is not a valid version`];
  return undefined;
}

/** Cache accounting on request (`x-mock-cache-read: N` / `[[mock cache_read=N cache_write=N]]`), else none. */
function cacheSplit(req: IncomingMessage, directive: string | undefined): { read: number; write: number } | string {
  const d = directive?.includes('[[mock') ? parseDirective(directive) : {};
  const out = { read: 0, write: 0 };
  for (const [field, name] of [
    ['read', 'cache_read'],
    ['write', 'cache_write'],
  ] as const) {
    const v = header(req.headers, `x-mock-${name.replace('_', '-')}`) ?? d[name];
    if (v === undefined) continue;
    if (!/^\d{1,9}$/.test(v)) return `mock control: ${name}: expected a token count, got ${JSON.stringify(v.slice(0, 20))}`;
    out[field] = Number(v);
  }
  return out;
}

export async function handleMessages(
  req: IncomingMessage,
  res: ServerResponse,
  json: unknown,
  ctx: MockContext,
  tokens: TokenCounter,
): Promise<void> {
  const reject = (status: number, message: string) => anthropicReject(res, ctx, status, message);
  const problem = headerProblem(req, ctx);
  if (problem) return reject(...problem);
  const parsed = MessagesRequest.safeParse(json);
  if (!parsed.success) return reject(400, describeAnthropicIssue(parsed.error).message);
  const body = parsed.data;
  if (!ctx.serves(body.model)) return reject(404, `model: ${body.model.slice(0, 200)}`);
  const empty = contentProblem(body.messages) ?? thinkingLoopProblem(body.messages, body.thinking);
  if (empty) return reject(400, empty);
  if (body.max_tokens > MAX_ANSWER_TOKENS) return reject(400, `max_tokens: must be at most ${MAX_ANSWER_TOKENS}, got ${body.max_tokens}`);

  const turns = textTurns(body);
  const key = chatPromptKey(turns);
  const last = turns.at(-1);
  const directive = turns.findLast((t) => t.role === 'user')?.content;
  const controls = readControls(req.headers, directive);
  if (typeof controls === 'string') return reject(400, `mock control: ${controls}`);
  // A tool directive is obeyed only on the user's own turn, not again when the tool's result comes back.
  const tool = last?.role === 'user' ? requestedTool(directive, anthropicTools(body.tools)) : undefined;
  if (typeof tool === 'string') return reject(400, tool);
  const cache = cacheSplit(req, directive);
  if (typeof cache === 'string') return reject(400, cache);

  const stream = body.stream === true;
  const fault = controls.fault ?? ctx.drawFault();
  if (await faultBeforeBody(fault, req, res, ctx, 'messages', stream, reject)) return;
  const textState = textSeed(key, undefined);
  // Counted with its tool calls, as the vLLM mock counts the translation of it (the key is the text alone).
  const prefill = prefillOf(ctx, body.model, { messages: countedTurns(body) }, textState);
  const promptTokens = prefill.promptTokens;
  // Cached tokens are part of the prompt: never more than it has.
  const cacheRead = Math.min(cache.read, promptTokens);
  const cacheWrite = Math.min(cache.write, promptTokens - cacheRead);

  const requestId = anthropicId('req');
  const headers = { ...ctx.identity, 'request-id': requestId };
  const withUsage = !controls.quirks.has('no-usage');
  const pace = pacing(controls, ctx, prefill, fault);
  const answer: AnthropicAnswer = {
    id: anthropicId('msg'),
    model: body.model,
    inputTokens: promptTokens - cacheRead - cacheWrite,
    cacheRead,
    cacheWrite,
    outputTokens: body.max_tokens,
  };

  if (tool) {
    // Within max_tokens, as a text answer is: the whole call was sent whatever max_tokens said.
    const within = argumentsWithin(toolArguments(tool.schema, textState), body.max_tokens, (s) => tokens.text(s));
    const { text: input, tokens: outputTokens } = within;
    const call = { id: anthropicId('toolu'), name: tool.name, input };
    const { fragments, carried } = trackedFragments(input, outputTokens);
    const done = !controls.quirks.has('no-done');
    const frames = anthropicToolUse({ ...answer, outputTokens }, call, fragments, withUsage, done, within.cut);
    const plan = { stream, ttftMs: pace.ttftMs, headers, ...frames, completionTokens: outputTokens, stallMs: pace.stallMs };
    return respondToolCall(res, { ...plan, fault: pace.fault, errorEvent: anthropicErrorEvent(529, 'Overloaded'), carried }, ctx.stats);
  }

  const produced = await respondCompletion(
    res,
    {
      answer: {
        endpoint: 'chat',
        id: answer.id,
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        fingerprint: ctx.name,
        promptTokens,
        completionTokens: body.max_tokens,
      },
      framing: anthropicFraming(answer, withUsage),
      textState,
      stream,
      ...pace,
      headers,
    },
    ctx.stats,
  );
  prefill.finish(produced);
}

/** `POST /v1/messages/count_tokens`: exactly the input tokens a Messages request with this prompt reports. */
export function handleCountTokens(req: IncomingMessage, res: ServerResponse, json: unknown, ctx: MockContext, tokens: TokenCounter): void {
  const problem = headerProblem(req, ctx);
  if (problem) return anthropicReject(res, ctx, ...problem);
  const parsed = CountTokensRequest.safeParse(json);
  if (!parsed.success) return anthropicReject(res, ctx, 400, describeAnthropicIssue(parsed.error).message);
  if (!ctx.serves(parsed.data.model)) return anthropicReject(res, ctx, 404, `model: ${parsed.data.model.slice(0, 200)}`);
  const empty = contentProblem(parsed.data.messages);
  if (empty) return anthropicReject(res, ctx, 400, empty);
  const n = tokens.chat(countedTurns(parsed.data));
  ctx.stats.completed++;
  sendJson(res, 200, `{"input_tokens":${n}}`, { ...ctx.identity, 'request-id': anthropicId('req') });
}
