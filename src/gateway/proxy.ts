/**
 * Route → upstream → relay for one parsed request: tries the plan's targets in order until one answers,
 * with one quick jittered retry on connect errors, a backend's retry-after honoured (capped) before the
 * same backend is tried again, and passive ejection of failing backends. Retries stop at the first byte
 * sent to the client.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { aigwError } from '../core/errors.js';
import type { EventBus } from '../events/bus.js';
import { planAttempts } from '../routing/plan.js';
import type { Target } from '../routing/route-table.js';
import { Exchange, type AttemptOutcome } from '../relay/exchange.js';
import { upstreamHeaders } from '../relay/headers.js';
import type { ProxyRequest } from './parse-request.js';
import type { RequestContext } from './request-context.js';
import { modelNotFound, sendError } from './respond.js';
import type { Runtime } from './runtime.js';
import { upstreamBody } from './upstream-body.js';

const PATHS = { chat: '/v1/chat/completions', completions: '/v1/completions', embeddings: '/v1/embeddings' } as const;

export async function proxy(ctx: RequestContext, runtime: Runtime, p: ProxyRequest, bus: EventBus): Promise<void> {
  const route = runtime.routes.get(p.model);
  if (!route) return sendError(ctx, modelNotFound(p.model));
  const plan = planAttempts(route, runtime.routes, { headers: ctx.req.headers, tenant: ctx.tenant, now: Date.now() });
  if (plan.length === 0) {
    return sendError(
      ctx,
      aigwError('no_healthy_backend', `every backend of ${p.model} is ejected after failures; try again shortly`, {
        headers: { 'retry-after': String(Math.ceil(runtime.profile.resilience.cooldown / 1000)) },
      }),
    );
  }
  const r = runtime.profile.resilience;
  const budget = Math.max(plan.length, r.attempts);
  let last: Extract<AttemptOutcome, { kind: 'failed' }> | undefined;
  let quickRetried = false;
  for (let n = 0, i = 0, skipped = 0; n < budget && skipped < plan.length; ) {
    const target = plan[i % plan.length]!;
    const now = Date.now();
    if (n > 0 && !target.backend.health.available(now)) {
      i++;
      skipped++;
      continue;
    }
    skipped = 0;
    n++;
    const outcome = await attempt(ctx, runtime, p, target, bus);
    if (outcome.kind === 'committed') {
      if (target.backend.health.success())
        bus.publish({ type: 'ejection', ts: Date.now(), backend: target.backend.name, ejected: false, cooldownMs: 0 });
      return;
    }
    if (ctx.clientGone) return;
    if (!outcome.failsOver) {
      target.backend.health.success();
      return sendError(ctx, outcome.error);
    }
    last = outcome;
    const countsAgainst = outcome.failure !== 'status' || outcome.message !== 'HTTP 429';
    if (countsAgainst) {
      const cooldown = target.backend.health.failure(now);
      if (cooldown > 0 && bus.active)
        bus.publish({ type: 'ejection', ts: now, backend: target.backend.name, ejected: true, cooldownMs: cooldown });
    }
    if (bus.active) {
      bus.publish({
        type: 'upstream_error',
        ts: Date.now(),
        requestId: ctx.requestId,
        model: p.model,
        backend: target.backend.name,
        reason: outcome.failure,
        message: outcome.message,
        retried: n < budget,
      });
    }
    if (outcome.failure === 'connect_error' && !quickRetried) {
      // A refused or reset connection (a keep-alive race, a restarting replica): once more, after a short jitter.
      quickRetried = true;
      await sleep(5 + Math.random() * 20);
      continue;
    }
    quickRetried = false;
    i++;
    // Going round the plan again is for overload answers (503, 429) only: a timeout would just repeat.
    if (i >= plan.length && outcome.failure !== 'status') break;
    if (plan[i % plan.length] === target && outcome.retryAfterMs !== undefined) {
      if (outcome.retryAfterMs > r.retryAfterCap) break;
      await sleep(outcome.retryAfterMs);
    }
    if (ctx.clientGone) return;
  }
  const final = last?.error ?? aigwError('no_healthy_backend', `every backend of ${p.model} is ejected after failures`);
  sendError(ctx, final);
}

async function attempt(ctx: RequestContext, runtime: Runtime, p: ProxyRequest, target: Target, bus: EventBus): Promise<AttemptOutcome> {
  const backend = target.backend;
  ctx.attempts++;
  ctx.backend = backend.name;
  ctx.upstreamModel = target.upstreamModel;
  const body = upstreamBody(p, target.upstreamModelJson);
  const exchange = new Exchange(ctx, bus, backend.name, runtime.bufferPolicy, body.injectedUsage);
  ctx.onClientGone = () => exchange.abort();
  backend.inflight++;
  backend.pool.dispatch(
    {
      path: backend.basePath + PATHS[p.endpoint],
      method: 'POST',
      headers: upstreamHeaders(ctx.req.rawHeaders, backend.headers, ctx.req.socket.remoteAddress, ctx.requestId),
      body: body.text,
    },
    exchange,
  );
  try {
    return await exchange.outcome;
  } finally {
    backend.inflight--;
    ctx.onClientGone = undefined;
  }
}
