/** The vLLM mock's OpenAI routes: chat and text completions (streamed or not) and the model list. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nextId } from '../core/ids.js';
import { ChatCompletionRequest, CompletionRequest, describeIssue, messageText } from '../openai/wire.js';
import { readControls } from './controls.js';
import { sendJson, sleepUnlessClosed } from './http.js';
import { slowedTokensPerSecond, timeToFirstToken } from './pace.js';
import { respondCompletion } from './respond-completion.js';
import type { Endpoint } from './shapes.js';
import { vllmError } from './shapes.js';
import type { MockContext } from './context.js';
import { chatPromptKey, completionPromptKey, textSeed } from './text.js';

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
): Promise<void> {
  const parsed = (endpoint === 'chat' ? ChatCompletionRequest : CompletionRequest).safeParse(json);
  if (!parsed.success) {
    const { message, param } = describeIssue(parsed.error);
    return sendJson(res, 400, vllmError(400, message, 'BadRequestError', param), ctx.identity);
  }
  const body = parsed.data;
  if (!ctx.serves(body.model)) {
    return sendJson(res, 404, vllmError(404, `The model \`${body.model}\` does not exist.`, 'NotFoundError', 'model'), ctx.identity);
  }
  if ((body.n ?? 1) !== 1) return sendJson(res, 400, vllmError(400, 'this mock supports n=1 only', 'BadRequestError', 'n'), ctx.identity);
  const maxTokens =
    (endpoint === 'chat' ? (body as ChatCompletionRequest).max_completion_tokens : undefined) ??
    body.max_tokens ??
    ctx.config.defaultMaxTokens;
  if (maxTokens < 1)
    return sendJson(res, 400, vllmError(400, 'max_tokens must be at least 1, got 0.', 'BadRequestError', 'max_tokens'), ctx.identity);

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

  const fault = controls.fault ?? ctx.drawFault();
  if (fault?.kind === 'status') {
    ctx.stats.fault('status');
    const message = fault.status === 503 ? 'Service Unavailable (injected fault)' : `injected fault: status ${fault.status}`;
    return sendJson(
      res,
      fault.status,
      vllmError(fault.status, message, fault.status >= 500 ? 'InternalServerError' : 'BadRequestError'),
      ctx.identity,
    );
  }
  if (fault?.kind === 'reset-before-headers') {
    ctx.stats.fault(fault.kind);
    req.socket.resetAndDestroy();
    return;
  }
  if (fault?.kind === 'slow-headers') {
    ctx.stats.fault(fault.kind);
    await sleepUnlessClosed(fault.ms, res);
    if (res.destroyed) {
      // The client (or a gateway on its behalf) left while we held the headers back.
      ctx.stats.abort({ endpoint, atToken: 0, stream: body.stream === true, ts: Date.now() });
      return;
    }
  }

  const textState = textSeed(key, body.seed);
  const of = endpoint === 'chat' ? { messages: (body as ChatCompletionRequest).messages } : { prompt: (body as CompletionRequest).prompt };
  const prefill = ctx.prefill.plan(body.model, of, key, textState);
  ctx.stats.promptTokens += prefill.promptTokens;
  const pace = ctx.pace;

  const requestId = req.headers['x-request-id'];
  const produced = await respondCompletion(
    res,
    {
      answer: {
        endpoint,
        id: nextId(endpoint === 'chat' ? 'chatcmpl' : 'cmpl'),
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        fingerprint: ctx.name,
        promptTokens: prefill.promptTokens,
        cachedTokens: ctx.prefill.cache ? prefill.cachedTokens : undefined,
        completionTokens: maxTokens,
      },
      textState,
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      ttftMs: timeToFirstToken(controls.ttftMs ?? pace.ttft, prefill.promptTokens - prefill.cachedTokens, pace),
      tokensPerSecond: slowedTokensPerSecond(controls.tokensPerSecond ?? pace.tokensPerSecond, pace),
      tokensPerChunk: controls.tokensPerChunk ?? ctx.config.tokensPerChunk,
      controls,
      fault: fault?.kind === 'slow-headers' ? undefined : fault,
      headers: typeof requestId === 'string' ? { ...ctx.identity, 'x-request-id': requestId } : ctx.identity,
    },
    ctx.stats,
  );
  prefill.finish(produced);
}
