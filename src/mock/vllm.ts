/** The vLLM mock's OpenAI routes: chat and text completions (streamed or not) and the model list. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nextId } from '../core/ids.js';
import { ChatCompletionRequest, CompletionRequest, describeIssue, messageText } from '../openai/wire.js';
import { readControls } from './controls.js';
import type { Framing } from './framing.js';
import { sendJson } from './http.js';
import { faultBeforeBody, pacing, prefillOf } from './preflight.js';
import { respondCompletion } from './respond-completion.js';
import type { Answer, Endpoint, ErrorBody } from './shapes.js';
import { vllmFraming, vllmRefusal, vllmToolCall } from './shapes.js';
import type { MockContext } from './context.js';
import { chatPromptKey, completionPromptKey, MAX_ANSWER_TOKENS, textSeed } from './text.js';
import { argumentsWithin, openAITools, requestedTool, respondToolCall, toolArguments, trackedFragments } from './tool-call.js';

export function modelList(ctx: MockContext): string {
  const created = Math.floor(ctx.startedAt / 1000);
  const data = ctx.servedModels().map((id) => ({
    id,
    object: 'model',
    created,
    owned_by: 'vllm',
    root: id,
    parent: null,
    max_model_len: 131072,
  }));
  return JSON.stringify({ object: 'list', data });
}

/** A dialect's refusal of `stream_options` on a request that does not stream, or undefined when it takes them. */
export type OffStreamOptions = (streamOptions: unknown) => string | undefined;

/**
 * vLLM's request validator refuses stream options unless the request streams — options that are there by Python's
 * truth: `null` and `{}` are none. A client that turns streaming off and keeps them (the AI SDK forcing a plain answer)
 * is refused by the real server; the mock answered it.
 */
const vllmOffStreamOptions: OffStreamOptions = (so) =>
  so !== null && typeof so === 'object' && Object.keys(so).length > 0
    ? 'Stream options can only be defined when `stream=True`.'
    : undefined;

export async function handleCompletion(
  endpoint: Endpoint,
  req: IncomingMessage,
  res: ServerResponse,
  json: unknown,
  ctx: MockContext,
  /** The dialect's framing of the answer (Azure adds its content-filter results to vLLM's). */
  framing: (a: Answer, usage: boolean) => Framing = vllmFraming,
  /** The dialect's refusals (Azure's are `{"error":{"code","message"}}`, with a string code). */
  errorBody: ErrorBody = vllmRefusal,
  /** What the dialect says of `stream_options` on a request that does not stream (undefined: it takes them). */
  offStreamOptions: OffStreamOptions = vllmOffStreamOptions,
): Promise<void> {
  const refuse = (status: number, message: string, param: string | null = null) =>
    sendJson(res, status, errorBody(status, message, param), ctx.identity);
  const parsed = (endpoint === 'chat' ? ChatCompletionRequest : CompletionRequest).safeParse(json);
  if (!parsed.success) {
    const { message, param } = describeIssue(parsed.error);
    return refuse(400, message, param);
  }
  const body = parsed.data;
  const offStream = body.stream === true ? undefined : offStreamOptions(body.stream_options);
  if (offStream) return refuse(400, offStream, 'stream_options');
  if (!ctx.serves(body.model)) return refuse(404, `The model \`${body.model.slice(0, 200)}\` does not exist.`, 'model');
  if ((body.n ?? 1) !== 1) return refuse(400, 'this mock supports n=1 only', 'n');
  // vLLM answers a batch with a choice per prompt; the mock's answer is one text, so it refuses a batch as it refuses
  // n > 1, rather than answer several prompts with one choice a client would take for the first prompt's answer.
  if (endpoint === 'completions' && isBatch((body as CompletionRequest).prompt)) {
    return refuse(400, 'this mock answers one prompt a request: send each prompt of a batch as its own request', 'prompt');
  }
  // vLLM's refusal alone: OpenAI's completions (the Azure dialect's) read an empty prompt as <|endoftext|>.
  if (endpoint === 'completions' && framing === vllmFraming) {
    const empty = emptyPrompt((body as CompletionRequest).prompt);
    if (empty) return refuse(400, empty);
  }
  if (endpoint === 'completions') {
    const outside = outOfVocabulary((body as CompletionRequest).prompt, framing === vllmFraming);
    if (outside) return refuse(400, outside);
  }
  const fields = body as { suffix?: unknown; logprobs?: unknown; echo?: unknown };
  // vLLM refuses a suffix (its models take none); OpenAI's instruct model, which the Azure dialect stands for, reads one.
  if (endpoint === 'completions' && fields.suffix != null && framing === vllmFraming) {
    return refuse(400, 'suffix is not currently supported');
  }
  // The mock makes no log probabilities: answered `null`, a client reading them (a scorer) met another answer than vLLM's.
  if (endpoint === 'completions' ? fields.logprobs != null : fields.logprobs === true) {
    return refuse(400, 'this mock returns no logprobs', 'logprobs');
  }
  const echo = endpoint === 'completions' && fields.echo === true ? echoText((body as CompletionRequest).prompt) : undefined;
  if (echo === null) return refuse(400, 'this mock echoes a prompt of text only', 'echo');
  const maxTokens =
    (endpoint === 'chat' ? (body as ChatCompletionRequest).max_completion_tokens : undefined) ??
    body.max_tokens ??
    ctx.config.defaultMaxTokens;
  // With echo, max_tokens 0 scores the prompt: vLLM answers the prompt alone ("OpenAI API supports echoing the prompt
  // when max_tokens is 0").
  if (maxTokens < 1 && echo === undefined) return refuse(400, 'max_tokens must be at least 1, got 0.', 'max_tokens');
  if (maxTokens > MAX_ANSWER_TOKENS) return refuse(400, `max_tokens must be at most ${MAX_ANSWER_TOKENS}, got ${maxTokens}.`, 'max_tokens');

  let key: string;
  let directiveText: string | undefined;
  if (endpoint === 'chat') {
    const messages = (body as ChatCompletionRequest).messages;
    key = chatPromptKey(messages);
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i]!.role === 'user') {
        directiveText = messageText(messages[i]!);
        break;
      }
    }
  } else {
    const prompt = (body as CompletionRequest).prompt;
    key = completionPromptKey(prompt);
    directiveText = typeof prompt === 'string' ? prompt : undefined;
  }
  const controls = readControls(req.headers, directiveText);
  if (typeof controls === 'string') return refuse(400, `mock control: ${controls}`);
  // A tool directive is obeyed only on the user's own turn, not again when the tool's result comes back.
  const messages = endpoint === 'chat' ? (body as ChatCompletionRequest).messages : [];
  const tool = messages.at(-1)?.role === 'user' ? requestedTool(directiveText, openAITools(body.tools)) : undefined;
  if (typeof tool === 'string') return refuse(400, tool, 'tools');

  const stream = body.stream === true;
  const fault = controls.fault ?? ctx.drawFault();
  if (await faultBeforeBody(fault, req, res, ctx, endpoint, stream, refuse)) return;

  const textState = textSeed(key, body.seed);
  const of = endpoint === 'chat' ? { messages } : { prompt: (body as CompletionRequest).prompt };
  const prefill = prefillOf(ctx, body.model, of, textState);
  const requestId = req.headers['x-request-id'];
  const headers = typeof requestId === 'string' ? { ...ctx.identity, 'x-request-id': requestId } : ctx.identity;
  const usage = body.stream_options?.include_usage === true && !controls.quirks.has('no-usage');
  const answer: Answer = {
    endpoint,
    id: nextId(endpoint === 'chat' ? 'chatcmpl' : 'cmpl'),
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    fingerprint: ctx.name,
    promptTokens: prefill.promptTokens,
    cachedTokens: ctx.prefill.cache ? prefill.cachedTokens : undefined,
    completionTokens: maxTokens,
  };
  const pace = pacing(controls, ctx, prefill, fault);

  if (tool) {
    // Within max_tokens, as a text answer is: the whole call was sent whatever max_tokens said.
    const within = argumentsWithin(toolArguments(tool.schema, textState), maxTokens, (s) => ctx.tokens.text(s));
    const call = { id: nextId('chatcmpl-tool'), name: tool.name, arguments: within.text };
    const completionTokens = within.tokens;
    const { fragments, carried } = trackedFragments(call.arguments, completionTokens);
    const called = { ...answer, completionTokens };
    const finish = within.cut ? 'length' : 'tool_calls';
    const frames = vllmToolCall(called, call, fragments, usage, !controls.quirks.has('no-done'), finish);
    const { error: errorEvent } = framing(called, usage);
    return respondToolCall(
      res,
      { stream, ttftMs: pace.ttftMs, headers, ...frames, completionTokens, fault: pace.fault, errorEvent, carried, stallMs: pace.stallMs },
      ctx.stats,
    );
  }

  const produced = await respondCompletion(
    res,
    {
      answer,
      framing: echo === undefined ? framing(answer, usage) : echoed(framing(answer, usage), echo, maxTokens === 0),
      textState,
      stream,
      ...pace,
      headers,
    },
    ctx.stats,
  );
  prefill.finish(produced);
}

/** A prompt of more than one string or token-id array (an array of token ids is one prompt). */
function isBatch(prompt: CompletionRequest['prompt']): boolean {
  return Array.isArray(prompt) && prompt.length > 1 && typeof prompt[0] !== 'number';
}

/** The text an echo begins with: a prompt's string (alone or a batch of one); null for token ids, which the mock cannot decode. */
function echoText(prompt: CompletionRequest['prompt']): string | null {
  if (typeof prompt === 'string') return prompt;
  return typeof prompt[0] === 'string' ? prompt[0] : null;
}

/**
 * A framing whose text begins with the echoed prompt, as vLLM writes it: before the generated text in a body, and as
 * the stream's first text event — its last, with the finish reason, when nothing is generated (max_tokens 0).
 */
function echoed(f: Framing, prompt: string, alone: boolean): Framing {
  const text = JSON.stringify(prompt).slice(1, -1);
  const event = f.chunk.before + text + (alone ? f.chunk.lastAfter : f.chunk.after);
  return { ...f, body: { ...f.body, before: f.body.before + text }, head: [...f.head, event] };
}

/**
 * The mock's vocabulary is o200k_base's: ids 0 to 200,018 (<|endofprompt|>, its last special token). vLLM's engine
 * refuses a prompt of token ids with one below 0 or past its tokenizer's largest id (input_processor.py
 * `_validate_model_input`, 400 "Token id N is out of vocabulary"); the mock answered it 200, and hashed it for its prefix
 * cache as a 32-bit integer — an id 2^32 apart from another, or one of its own chat-template markers (0xffffff00…),
 * read as that one: a cache hit for a prompt it never saw.
 */
export const MAX_TOKEN_ID = 200_018;

/**
 * What a dialect says of a prompt of token ids with one outside the vocabulary, or undefined: vLLM names the lowest id
 * when one is below 0, else the highest; OpenAI's API (the Azure dialect's) the first, with the range ("Invalid token
 * in prompt: 123. Minimum value is 0, maximum value is 100257 (inclusive).", for its instruct model's vocabulary).
 */
function outOfVocabulary(prompt: CompletionRequest['prompt'], vllm: boolean): string | undefined {
  if (!Array.isArray(prompt) || prompt.length === 0) return undefined;
  const ids = (typeof prompt[0] === 'number' ? prompt : prompt[0]) as readonly unknown[];
  if (typeof ids[0] !== 'number') return undefined;
  let min = 0;
  let max = 0;
  let first: number | undefined;
  for (const id of ids as readonly number[]) {
    if (id < min) min = id;
    if (id > max) max = id;
    if (first === undefined && (id < 0 || id > MAX_TOKEN_ID)) first = id;
  }
  if (first === undefined) return undefined;
  if (!vllm) return `Invalid token in prompt: ${first}. Minimum value is 0, maximum value is ${MAX_TOKEN_ID} (inclusive).`;
  return `Token id ${min < 0 ? min : max} is out of vocabulary`;
}

/**
 * vLLM's words for an empty prompt, or undefined: its request validator refuses `""`, its engine a prompt of no tokens
 * (`[]`, an empty token-id array). The mock answered them with 0 prompt tokens.
 */
function emptyPrompt(prompt: CompletionRequest['prompt']): string | undefined {
  if (prompt === '') return 'Either prompt or prompt_embeds must be provided and non-empty.';
  if (Array.isArray(prompt) && (prompt.length === 0 || (Array.isArray(prompt[0]) && prompt[0].length === 0))) {
    return 'The decoder prompt cannot be empty';
  }
  return undefined;
}
