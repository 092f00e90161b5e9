/**
 * `POST /v1/messages/count_tokens` routed to a backend that does not speak Anthropic's API: answered by the
 * gateway from its tokenizer thread — the conversation's plain-text turns (the ones its translation carries)
 * and the tools' JSON, counted with o200k_base and OpenAI's chat framing. An estimate for any model whose
 * tokenizer differs, as the README says; images are not counted. Nothing is sent upstream.
 */
import type { ProxyRequest } from '../openai/parse-request.js';
import type { AttemptOutcome } from '../relay/exchange.js';
import type { Target } from '../routing/route-table.js';
import type { PromptCounter } from '../tenants/admission.js';
import { countTokensBody, countTokensTurns } from '../translate/count-tokens.js';
import type { RequestContext } from './request-context.js';

export async function answerCountTokens(
  ctx: RequestContext,
  p: ProxyRequest,
  target: Target,
  tokens: PromptCounter,
): Promise<AttemptOutcome> {
  const turns = countTokensTurns(p.json);
  if (!turns.ok)
    return { kind: 'failed', failure: 'bad_response', error: turns.error, failsOver: false, message: turns.error.message, local: true };
  const record = ctx.record;
  record.backend = target.backend.name;
  record.upstreamModel = target.upstreamModel;
  const counted = await tokens.count('chat', turns.value, record.tenant);
  // The tokenizer thread is saturated or gone: a size estimate (4 characters a token, 3 tokens a turn) still answers.
  const n = counted?.tokens ?? turns.value.reduce((sum, t) => sum + 3 + Math.ceil(t.content.length / 4), 3);
  // Gone while it was counted, or answered by the drain's deadline meanwhile.
  if (ctx.res.destroyed || ctx.res.headersSent) return { kind: 'abandoned' };
  const body = countTokensBody(n);
  record.status = 200;
  record.bytesOut += body.length;
  ctx.res.writeHead(200, {
    ...ctx.extraHeaders,
    'content-type': 'application/json',
    'content-length': String(body.length),
    'x-request-id': ctx.requestId,
    'x-aigw-backend': target.backend.name,
  });
  ctx.res.end(body);
  // Nothing went upstream: the backend's health is not this answer's to vouch for.
  return { kind: 'committed', local: true };
}
