/**
 * The BackendTrafficPolicy on the generated HTTPRoute: retries and priority failover (resilience.attempts),
 * passive ejection, connect timeout, connection limits, consistent hashing on the sticky header, the
 * request-size cap, and the tenants' rate limits.
 */
import { formatSize } from '../../core/units.js';
import { EG_API, GATEWAY_GROUP } from './api.js';
import type { ExportContext, K8sObject } from './export-context.js';
import { bufferLimitFor } from './export-gateway.js';
import { rateLimitRules } from './export-limits.js';
import { routeNames } from './export-route.js';
import { formatGatewayDuration, formatQuantity, MIN_QUANTITY, zeroSize } from './k8s-units.js';

export function trafficObject(ctx: ExportContext): K8sObject {
  const { profile: p, opts } = ctx;
  const r = p.resilience;
  const t = p.timeouts;
  const spec: Record<string, unknown> = {
    targetRefs: routeNames(ctx).map((name) => ({ group: GATEWAY_GROUP, kind: 'HTTPRoute', name })),
  };
  const comments: Record<string, string> = {
    'spec.targetRefs': 'The HTTPRoute that Envoy AI Gateway generates from the AIGatewayRoute carries its name.',
  };

  // aigw tries a model's targets, then each fallback's; Envoy retries within a priority, then moves on.
  // A header match's targets are a priority-0 group too: counted, a request matching one tries them all first.
  const live = (ts: readonly { weight: number }[]) => ts.filter((x) => x.weight > 0).length;
  const groupsOf = (m: (typeof p.models)[string]) => [live(m.targets), ...(m.match ?? []).map((x) => live(x.targets))];
  const groupSize = Math.max(1, ...Object.values(p.models).flatMap(groupsOf));
  const perPriority = Math.min(groupSize, r.attempts);
  // One retry policy for every route: a model with fewer targets than the largest group retries them before its
  // fallbacks, where aigw tries each once and moves on — and with as many attempts as that, never reaches them.
  for (const [name, m] of Object.entries(p.models)) {
    const small = Math.min(...groupsOf(m));
    if (m.fallbacks.length === 0 || small >= perPriority) continue;
    ctx.warn(
      `models.${name}.fallbacks`,
      `the cluster makes ${perPriority} attempts on ${name}'s ${small} target${small === 1 ? '' : 's'} before its fallbacks ` +
        '(numAttemptsPerPriority is one value for every route, the largest group of targets), where aigw tries each once' +
        (perPriority >= r.attempts ? `: within resilience.attempts (${r.attempts}) the cluster never reaches the fallbacks` : ''),
    );
  }
  spec.retry = {
    numRetries: r.attempts - 1,
    numAttemptsPerPriority: perPriority,
    // aigw fails over on every 5xx (upstream/classify.ts statusFailsOver), 429, 401 and 403: listed as five codes, an
    // Anthropic backend's 529 (overloaded), a 501 or a 507 came back to the client where aigw tries the next target.
    // Envoy's `5xx` trigger takes any 5xx (and no answer at all: a reset, a timeout), as aigw does.
    retryOn: {
      triggers: ['5xx', 'connect-failure', 'reset-before-request', 'retriable-status-codes'],
      httpStatusCodes: [429, 401, 403],
    },
  };
  comments['spec.retry'] =
    `resilience.attempts (${r.attempts}): aigw fails over on connect errors, timeouts, any 5xx, 429, 401 and 403 before ` +
    "the first byte, trying the model's other targets before its fallbacks (the next priority).";

  // Envoy takes a base ejection time and a connect timeout above 0 only (both `duration = {gt {}}` in its API): the CRDs'
  // pattern admits `0s`, but the cluster built from it is refused by Envoy — every backend of the routes with it.
  if (r.cooldown > 0) {
    spec.healthCheck = {
      passive: {
        consecutive5XxErrors: r.consecutiveFailures,
        consecutiveLocalOriginFailures: r.consecutiveFailures,
        baseEjectionTime: formatGatewayDuration(r.cooldown),
        maxEjectionPercent: 100,
      },
    };
    comments['spec.healthCheck.passive'] =
      'resilience.consecutiveFailures and cooldown; aigw may eject every backend (then 503 no_healthy_backend), hence 100%.';
  } else {
    ctx.warn(
      'resilience.cooldown',
      '0s ejects a backend for no time, and Envoy refuses a baseEjectionTime of 0: no passive health check is exported, so the ' +
        'cluster never ejects a backend either',
    );
  }
  if (ctx.written('resilience', 'maxCooldown')) {
    ctx.warn('resilience.maxCooldown', "not exported: Envoy lengthens each ejection by cooldown (up to Envoy's own 300s cap)");
  }
  if (ctx.written('resilience', 'retryAfterCap')) {
    ctx.warn('resilience.retryAfterCap', "not exported: Envoy does not wait for a backend's retry-after before retrying");
  }

  if (t.connect > 0) spec.timeout = { tcp: { connectTimeout: formatGatewayDuration(t.connect) } };
  else {
    ctx.warn(
      'timeouts.connect',
      "0s (no deadline) cannot be expressed: Envoy refuses a connect timeout of 0, so none is exported and Envoy Gateway's " +
        'default of 10s applies',
    );
  }
  if (t.firstByte !== t.idle) {
    ctx.warn(
      'timeouts.firstByte',
      `the cluster waits at most timeouts.idle (${formatGatewayDuration(t.idle)}) for a backend's first byte, not ` +
        `${formatGatewayDuration(t.firstByte)} (Envoy's stream idle timeout also covers the wait for headers)`,
    );
  }

  const conns = new Set(Object.values(p.backends).map((b) => b.pool.connections ?? b.maxConnections));
  const queues = new Set(Object.values(p.backends).map((b) => b.pool.queue));
  if (conns.size > 1 || queues.size > 1) {
    ctx.warn('backends.*.maxConnections', 'backends differ in connection limits: the cluster applies the largest to every backend');
  }
  if (conns.size) {
    spec.circuitBreaker = { maxConnections: Math.max(...conns), maxPendingRequests: Math.max(...queues) };
    comments['spec.circuitBreaker'] = 'backends.*.maxConnections and pool.queue (requests beyond both get 503).';
  }
  for (const name of Object.keys(p.backends)) {
    if (ctx.written('backends', name, 'pool', 'queueTimeout')) {
      ctx.warn(`backends.${name}.pool.queueTimeout`, 'not exported: Envoy bounds a queued request only by the route timeouts');
    }
  }

  const sticky = [...new Set(Object.values(p.models).flatMap((m) => (m.sticky ? [m.sticky.header] : [])))];
  if (sticky.length) {
    spec.loadBalancer = { type: 'ConsistentHash', consistentHash: { type: 'Header', header: { name: sticky[0] } } };
    comments['spec.loadBalancer'] = `models.*.sticky: requests with the same ${sticky[0]} go to the same endpoint of a backend.`;
    ctx.warn(
      'models.*.sticky',
      "Envoy's consistent hash picks an endpoint within each backend; which of a model's weighted targets serves a " +
        'request is still drawn at random, so a session can move between targets',
    );
    if (sticky.length > 1) ctx.warn('models.*.sticky', `one hash header per route: ${sticky.slice(1).join(', ')} not exported`);
  }

  const buffer = bufferLimitFor(ctx).bytes;
  const requestLimit = Math.max(MIN_QUANTITY, p.limits.maxRequestBytes);
  if (requestLimit < buffer) {
    spec.requestBuffer = { limit: formatQuantity(requestLimit) };
    comments['spec.requestBuffer'] = `limits.maxRequestBytes (${formatSize(p.limits.maxRequestBytes)}): larger request bodies get 413.`;
    if (requestLimit !== p.limits.maxRequestBytes) ctx.warn('limits.maxRequestBytes', zeroSize('requestBuffer.limit'));
  }

  const rules = rateLimitRules(ctx);
  if (rules.length) {
    spec.rateLimit = { type: 'Global', global: { rules } };
    comments['spec.rateLimit'] =
      "tenants.*.limits: needs Envoy Gateway's global rate limit service (Redis). Token rules cost 0 on the request " +
      "and the answer's total tokens (llmRequestCosts) after it; request rules cost 1 each. shared: one bucket per tenant " +
      "(and model) across every route, where Envoy Gateway would otherwise count each model's route apart.";
  }
  return { value: { apiVersion: EG_API, kind: 'BackendTrafficPolicy', metadata: ctx.metadata(`${opts.gateway}-traffic`), spec }, comments };
}
