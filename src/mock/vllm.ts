/** The vLLM mock's OpenAI routes: chat and text completions (streamed or not) and the model list. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nextId } from '../core/ids.js';
import { ChatCompletionRequest, CompletionRequest, describeIssue, messageText } from '../openai/wire.js';
import { readControls } from './controls.js';
import type { Framing } from './framing.js';
import { sendJson } from './http.js';
import { faultBeforeBody, pacing, prefillOf } from './preflight.js';
import { respondCompletion } from './respond-completion.js';
import type { Answer, Endpoint } from './shapes.js';
import { vllmError, vllmFraming, vllmToolCall } from './shapes.js';
import type { MockContext } from './context.js';
import { chatPromptKey, completionPromptKey, MAX_ANSWER_TOKENS, textSeed } from './text.js';
import { argumentFragments, openAITools, requestedTool, respondToolCall, toolArguments } from './tool-call.js';

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

export async function handleCompletion(
  endpoint: Endpoint,
  req: IncomingMessage,
  res: ServerResponse,
  json: unknown,
  ctx: MockContext,
  /** The dialect's framing of the answer (Azure adds its content-filter results to vLLM's). */
  framing: (a: Answer, usage: boolean) => Framing = vllmFraming,
): Promise<void> {
  const parsed = (endpoint === 'chat' ? ChatCompletionRequest : CompletionRequest).safeParse(json);
  if (!parsed.success) {
    const { message, param } = describeIssue(parsed.error);
    return sendJson(res, 400, vllmError(400, message, 'BadRequestError', param), ctx.identity);
  }
  const body = parsed.data;
  if (!ctx.serves(body.model)) {
    return sendJson(
      res,
      404,
      vllmError(404, `The model \`${body.model.slice(0, 200)}\` does not exist.`, 'NotFoundError', 'model'),
      ctx.identity,
    );
  }
  if ((body.n ?? 1) !== 1) return sendJson(res, 400, vllmError(400, 'this mock supports n=1 only', 'BadRequestError', 'n'), ctx.identity);
  // vLLM answers a batch with a choice per prompt; the mock's answer is one text, so it refuses a batch as it refuses
  // n > 1, rather than answer several prompts with one choice a client would take for the first prompt's answer.
  if (endpoint === 'completions' && isBatch((body as CompletionRequest).prompt)) {
    const message = 'this mock answers one prompt a request: send each prompt of a batch as its own request';
    return sendJson(res, 400, vllmError(400, message, 'BadRequestError', 'prompt'), ctx.identity);
  }
  const maxTokens =
    (endpoint === 'chat' ? (body as ChatCompletionRequest).max_completion_tokens : undefined) ??
    body.max_tokens ??
    ctx.config.defaultMaxTokens;
  if (maxTokens < 1)
    return sendJson(res, 400, vllmError(400, 'max_tokens must be at least 1, got 0.', 'BadRequestError', 'max_tokens'), ctx.identity);
  if (maxTokens > MAX_ANSWER_TOKENS) {
    const message = `max_tokens must be at most ${MAX_ANSWER_TOKENS}, got ${maxTokens}.`;
    return sendJson(res, 400, vllmError(400, message, 'BadRequestError', 'max_tokens'), ctx.identity);
  }

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
  if (typeof controls === 'string') return sendJson(res, 400, vllmError(400, `mock control: ${controls}`, 'BadRequestError'), ctx.identity);
  // A tool directive is obeyed only on the user's own turn, not again when the tool's result comes back.
  const messages = endpoint === 'chat' ? (body as ChatCompletionRequest).messages : [];
  const tool = messages.at(-1)?.role === 'user' ? requestedTool(directiveText, openAITools(body.tools)) : undefined;
  if (typeof tool === 'string') return sendJson(res, 400, vllmError(400, tool, 'BadRequestError', 'tools'), ctx.identity);

  const stream = body.stream === true;
  const fault = controls.fault ?? ctx.drawFault();
  const reject = (status: number, message: string) =>
    sendJson(res, status, vllmError(status, message, status >= 500 ? 'InternalServerError' : 'BadRequestError'), ctx.identity);
  if (await faultBeforeBody(fault, req, res, ctx, endpoint, stream, reject)) return;

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
    const call = { id: nextId('chatcmpl-tool'), name: tool.name, arguments: toolArguments(tool.schema, textState) };
    const completionTokens = ctx.tokens.text(call.arguments);
    const frames = vllmToolCall(
      { ...answer, completionTokens },
      call,
      argumentFragments(call.arguments),
      usage,
      !controls.quirks.has('no-done'),
    );
    return respondToolCall(res, { stream, ttftMs: pace.ttftMs, headers, ...frames, completionTokens }, ctx.stats);
  }

  const produced = await respondCompletion(
    res,
    {
      answer,
      framing: framing(answer, usage),
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
