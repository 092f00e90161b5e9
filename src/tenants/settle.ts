/**
 * The end of a limited request: what it really cost, and the settlement of its reservation.
 * Not answered (failed upstream, refused) → nothing is charged. Answered → the backend's usage; without
 * usage, the prompt is counted exactly off the event loop and the output by streamed chunks; a client
 * that left mid-stream pays for what was streamed.
 */
import type { RequestContext } from '../gateway/request-context.js';
import type { ProxyRequest } from '../gateway/parse-request.js';
import { countPromptTokens } from './token-worker.js';

/** Fills in the input tokens when the backend reported none (worker thread; never the event loop). */
export async function completeTokenCounts(ctx: RequestContext, p: ProxyRequest): Promise<void> {
  if (!ctx.answered || ctx.inputSource !== 'none') return;
  const payload = p.endpoint === 'chat' ? p.json.messages : p.endpoint === 'completions' ? p.json.prompt : p.json.input;
  const n = await countPromptTokens(p.endpoint === 'chat' ? 'chat' : 'prompt', payload);
  if (n !== undefined) {
    ctx.inputTokens = n;
    ctx.inputSource = 'tokenizer';
  }
}

/** Tokens to charge for a finished request. */
export function actualCost(ctx: RequestContext, promptEstimate: number): number {
  if (!ctx.answered) return 0;
  const input = ctx.inputSource === 'none' ? promptEstimate : ctx.inputTokens;
  return input + ctx.outputTokens;
}
