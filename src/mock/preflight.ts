/** What every mock dialect does before it answers: the faults that strike before the body, the prefill, the pace. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MockContext } from './context.js';
import type { Controls, Fault } from './controls.js';
import { CLIENT_STALL_MS, sleepUnlessClosed } from './http.js';
import { slowedTokensPerSecond, timeToFirstToken } from './pace.js';
import type { PrefillPlan, PromptOf } from './prefill.js';

/**
 * Applies a fault that strikes before the answer's body: an error status (`reject` renders it in the
 * dialect), a reset, held headers. An `error-after` fault on a non-streamed answer is a 500 at once: there
 * is no stream to fail in. True when the request is over.
 */
export async function faultBeforeBody(
  fault: Fault | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: MockContext,
  endpoint: string,
  stream: boolean,
  reject: (status: number, message: string) => void,
): Promise<boolean> {
  if (fault?.kind === 'status') {
    ctx.stats.fault('status');
    reject(fault.status, fault.status === 503 ? 'Service Unavailable (injected fault)' : `injected fault: status ${fault.status}`);
    return true;
  }
  if (fault?.kind === 'error-after' && !stream) {
    ctx.stats.fault(fault.kind);
    reject(500, 'injected fault: the answer failed');
    return true;
  }
  if (fault?.kind === 'reset-before-headers') {
    ctx.stats.fault(fault.kind);
    req.socket.resetAndDestroy();
    return true;
  }
  if (fault?.kind === 'slow-headers') {
    ctx.stats.fault(fault.kind);
    await sleepUnlessClosed(fault.ms, res);
    if (res.destroyed) {
      // The client (or a gateway on its behalf) left while we held the headers back.
      ctx.stats.abort({ endpoint, atToken: 0, stream, ts: Date.now() });
      return true;
    }
  }
  return false;
}

/** The prompt's prefill (its tokens, and how many the simulated prefix cache already holds), counted in stats. */
export function prefillOf(ctx: MockContext, model: string, of: PromptOf, textState: number): PrefillPlan {
  const plan = ctx.prefill.plan(model, of, textState);
  ctx.stats.promptTokens += plan.promptTokens;
  return plan;
}

/**
 * How a completion is paced and where it may fail: the request's controls over the mock's current pace
 * (`/mock/control`), the first token after the prefill of every uncached prompt token.
 */
export function pacing(controls: Controls, ctx: MockContext, prefill: PrefillPlan, fault: Fault | undefined) {
  const pace = ctx.pace;
  return {
    ttftMs: timeToFirstToken(controls.ttftMs ?? pace.ttft, prefill.promptTokens - prefill.cachedTokens, pace),
    tokensPerSecond: slowedTokensPerSecond(controls.tokensPerSecond ?? pace.tokensPerSecond, pace),
    tokensPerChunk: controls.tokensPerChunk ?? ctx.config.tokensPerChunk,
    controls,
    // Held headers were served before the body began.
    fault: fault?.kind === 'slow-headers' ? undefined : fault,
    stallMs: ctx.config.clientStallMs ?? CLIENT_STALL_MS,
  };
}
