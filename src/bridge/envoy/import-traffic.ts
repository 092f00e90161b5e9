/**
 * The policies around the routes → the profile's limits, timeouts and resilience: the Gateway's effective
 * buffer (ClientTrafficPolicy bufferLimit, Envoy Gateway's 32 KiB when none) as a buffered response limit
 * that fails as Envoy does (`onOverflow: envoy`) and as the request cap; rule and policy timeouts; retries,
 * passive ejection, connection limits and consistent hashing from the BackendTrafficPolicy.
 */
import { formatSize } from '../../core/units.js';
import {
  AIGW_DEFAULT_REQUEST_TIMEOUT_MS,
  EG_DEFAULT_BUFFER,
  EG_DEFAULT_CONNECT_TIMEOUT_MS,
  EG_DEFAULT_EJECTION_MS,
  EG_DEFAULT_PASSIVE_ERRORS,
  ENVOY_DEFAULT_STREAM_IDLE_MS,
  MAX_BUFFER_LIMIT,
} from './api.js';
import { type ImportContext, type Raw, shown } from './import-context.js';
import type { RouteTiming } from './import-routes.js';
import { parseGatewayDuration, parseQuantity } from './k8s-units.js';
import type { Manifest } from './manifests.js';
import { firstFew } from '../../core/first-few.js';
import { gatewaysOf, PolicyReach, policiesFor } from './import-policies.js';
import type { KeyPath } from '../../profile/problems.js';

const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The profile's most attempts (resilience.attempts). */
const MAX_ATTEMPTS = 10;
const NOT_A_QUANTITY = 'is not a quantity Envoy Gateway accepts (a whole number with an optional unit: 512, 64Ki, 8Mi)';

/** A Gateway API duration at `path`, or undefined; a value that is not one is a warning (the cluster refuses it), never dropped silently. */
export function duration(ctx: ImportContext, m: Manifest, path: (string | number)[], v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseGatewayDuration(v);
  if (ms === undefined) {
    ctx.warn(m, path, `${shown(v)} is not a Gateway API duration (whole numbers of h, m, s, ms: 1m30s, 1500ms): ignored`);
  }
  return ms;
}

/** `5m` → `5m`, 90000 → `90s`: the profile's own duration syntax. */
export function profileDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Whether Envoy Gateway refuses a ClientTrafficPolicy for its bufferLimit: a quantity past what Envoy holds (a uint32). */
function refusedBuffer(ctp: Manifest): boolean {
  return (parseQuantity(obj(obj(ctp.value.spec).connection).bufferLimit) ?? 0) > MAX_BUFFER_LIMIT;
}

export function importBuffer(ctx: ImportContext): void {
  let effective: { bytes: number; m?: Manifest; path: (string | number)[] } | undefined;
  for (const g of gatewaysOf(ctx)) {
    const withBuffer = ctx
      .targeting('ClientTrafficPolicy', 'Gateway', g.name, g.namespace)
      .filter((p) => obj(obj(p.value.spec).connection).bufferLimit !== undefined);
    const ctp = withBuffer[0];
    if (ctp) sayListenersDiffer(ctx, g, withBuffer);
    let bytes = EG_DEFAULT_BUFFER;
    if (ctp) {
      const v = obj(obj(ctp.value.spec).connection).bufferLimit;
      const read = parseQuantity(v);
      bytes = read !== undefined && !refusedBuffer(ctp) ? read : EG_DEFAULT_BUFFER;
      if (read === undefined) ctx.warn(ctp, ['spec', 'connection', 'bufferLimit'], `not a quantity: Envoy Gateway's 32Ki applies`);
      else if (refusedBuffer(ctp)) {
        ctx.warn(
          ctp,
          ['spec', 'connection', 'bufferLimit'],
          `${formatSize(read)} is out of range (Envoy holds at most ${MAX_BUFFER_LIMIT} bytes): Envoy Gateway refuses this ` +
            'ClientTrafficPolicy, so the Gateway keeps its default of 32Ki',
        );
      }
      ctx.use(ctp, ['spec', 'targetRefs'], ['spec', 'connection', 'bufferLimit']);
    } else {
      const where = ctx.find('Gateway', g.name, g.namespace) ?? g.ref?.m;
      if (where) {
        ctx.warn(
          where,
          where.kind === 'Gateway' ? [] : (g.ref?.path ?? []),
          `no ClientTrafficPolicy sets a bufferLimit for Gateway ${g.namespace}/${g.name}: Envoy Gateway's default of 32Ki applies — ` +
            'prompts over 32Ki get 413 and non-streamed answers over 32Ki get 500',
        );
      }
    }
    if (effective && effective.bytes !== bytes) {
      // Said at the policy that differs, else at this Gateway (there may be no route to point at).
      const at = ctp ?? ctx.find('Gateway', g.name, g.namespace) ?? g.ref?.m ?? ctx.manifests[0]!;
      ctx.warn(at, [], `Gateways with different buffer limits: the profile uses the smallest`);
    }
    if (!effective || bytes < effective.bytes)
      effective = { bytes, ...(ctp ? { m: ctp } : {}), path: ['spec', 'connection', 'bufferLimit'] };
  }
  const bytes = effective?.bytes ?? EG_DEFAULT_BUFFER;
  const from = effective?.m ?? ctx.ofKind('Gateway')[0] ?? ctx.manifests[0]!;
  ctx.set(
    ['limits', 'responseBuffer'],
    { mode: 'buffered', maxBytes: formatSize(bytes), onOverflow: 'envoy' },
    { m: from, path: effective?.m ? effective.path : [] },
  );
  let request = bytes;
  const btps = policiesFor(ctx, 'BackendTrafficPolicy');
  const requestLimits: { n: number; m: Manifest }[] = [];
  for (const btp of btps) {
    if (obj(obj(btp.value.spec).connection).bufferLimit !== undefined) {
      ctx.use(btp, ['spec', 'connection', 'bufferLimit']);
      ctx.warn(
        btp,
        ['spec', 'connection', 'bufferLimit'],
        "the backend side's connection buffer (flow control, and how much of a request body Envoy keeps for a retry) has " +
          "no aigw setting; the answer a client gets is bounded by the Gateway's (ClientTrafficPolicy bufferLimit), which " +
          'limits.responseBuffer imports',
      );
    }
    const limit = obj(obj(btp.value.spec).requestBuffer).limit;
    if (limit === undefined) continue;
    ctx.use(btp, ['spec', 'requestBuffer']);
    const n = parseQuantity(limit);
    if (n === undefined) ctx.warn(btp, ['spec', 'requestBuffer', 'limit'], `${shown(limit)} ${NOT_A_QUANTITY}: ignored`);
    else {
      requestLimits.push({ n, m: btp });
      if (n < request) request = n;
    }
  }
  ctx.set(['limits', 'maxRequestBytes'], formatSize(request), { m: from, path: effective?.m ? effective.path : [] });
  // A request buffer is a route's (its BackendTrafficPolicy's), the profile's limit is every model's: a route whose
  // policy sets none (or a larger one) took the smallest in silence — its clients' bodies over it 413 in aigw only.
  const strictest = requestLimits.find((l) => l.n === request);
  if (!strictest) return;
  const byRoute = new PolicyReach(ctx, btps).perRoute(requestLimits);
  sayRoutesDiffer(
    ctx,
    strictest.m,
    ['spec', 'requestBuffer', 'limit'],
    (route) => {
      const own = byRoute.get(route);
      const cap = Math.min(own?.n ?? bytes, bytes);
      if (cap === request) return undefined;
      return own ? `a request buffer of ${formatSize(cap)}` : `no request buffer (bodies up to the Gateway's ${formatSize(cap)})`;
    },
    'aigw has one limits.maxRequestBytes for every model, so the profile takes the smallest',
  );
}

/**
 * A Gateway's ClientTrafficPolicies that set different buffer limits (one on the Gateway, others on its listeners by
 * sectionName): Envoy applies each to its own listeners, the profile has one limits.responseBuffer. The first was
 * taken in silence; said at each other one.
 */
function sayListenersDiffer(ctx: ImportContext, g: { name: string; namespace: string }, ctps: readonly Manifest[]): void {
  const read = (p: Manifest) => parseQuantity(obj(obj(p.value.spec).connection).bufferLimit);
  const first = read(ctps[0]!);
  for (const p of ctps.slice(1)) {
    if (read(p) === first) continue;
    ctx.warn(
      p,
      ['spec', 'connection', 'bufferLimit'],
      `Gateway ${g.namespace}/${g.name} has ClientTrafficPolicies with different buffer limits (Envoy applies each to the ` +
        `listeners it targets): aigw has one limits.responseBuffer, so the profile takes ${ctx.label(ctps[0]!)}'s`,
    );
    ctx.use(p, ['spec', 'targetRefs'], ['spec', 'connection', 'bufferLimit']);
  }
}

/**
 * A ClientTrafficPolicy's `connection.connectionLimit.value` (the connections each Envoy holds at once; more are
 * closed) as `limits.maxConnections`: the smallest of the Gateways', as the buffer is. Its `closeDelay` has no aigw
 * setting: a connection past the cap is closed as it is accepted.
 */
export function importConnectionLimit(ctx: ImportContext): void {
  let least: { value: number; m: Manifest } | undefined;
  for (const g of gatewaysOf(ctx)) {
    for (const p of ctx.targeting('ClientTrafficPolicy', 'Gateway', g.name, g.namespace)) {
      if (refusedBuffer(p)) continue;
      const limit = obj(obj(obj(p.value.spec).connection).connectionLimit);
      const path = ['spec', 'connection', 'connectionLimit'];
      if (limit.closeDelay !== undefined) {
        ctx.use(p, [...path, 'closeDelay']);
        ctx.warn(p, [...path, 'closeDelay'], 'not imported: aigw closes a connection past limits.maxConnections as it accepts it');
      }
      if (limit.value === undefined) continue;
      ctx.use(p, [...path, 'value']);
      const v = limit.value;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
        ctx.warn(p, [...path, 'value'], `${shown(v)} is not a connection count (an integer of at least 1): ignored`);
        continue;
      }
      if (!least || v < least.value) least = { value: v, m: p };
    }
  }
  if (least) ctx.set(['limits', 'maxConnections'], least.value, { m: least.m, path: ['spec', 'connection', 'connectionLimit', 'value'] });
}

export function importTimeouts(ctx: ImportContext, timing: RouteTiming[]): void {
  const btps = policiesFor(ctx, 'BackendTrafficPolicy');
  const ctps = policiesFor(ctx, 'ClientTrafficPolicy');
  // Per policy, read once; each rule then takes the last that applies to its route (its own over the Gateway's).
  const policyRequests: { ms: number | undefined; m: Manifest }[] = [];
  const policyIdles: { ms: number | undefined; m: Manifest }[] = [];
  const connects: { ms: number; m: Manifest }[] = [];
  for (const p of btps) {
    const t = obj(obj(p.value.spec).timeout);
    const http = obj(t.http);
    if (http.requestTimeout !== undefined) {
      policyRequests.push({ ms: duration(ctx, p, ['spec', 'timeout', 'http', 'requestTimeout'], http.requestTimeout), m: p });
      ctx.use(p, ['spec', 'timeout', 'http', 'requestTimeout']);
    }
    if (http.streamIdleTimeout !== undefined) {
      policyIdles.push({ ms: duration(ctx, p, ['spec', 'timeout', 'http', 'streamIdleTimeout'], http.streamIdleTimeout), m: p });
      ctx.use(p, ['spec', 'timeout', 'http', 'streamIdleTimeout']);
    }
    const c = duration(ctx, p, ['spec', 'timeout', 'tcp', 'connectTimeout'], obj(t.tcp).connectTimeout);
    if (c !== undefined) {
      connects.push({ ms: c, m: p });
      ctx.use(p, ['spec', 'timeout', 'tcp', 'connectTimeout']);
    }
  }
  for (const p of ctps) {
    if (refusedBuffer(p)) {
      // Refused whole by Envoy Gateway (importBuffer says why): none of its settings applies in the cluster.
      const path = ['spec', 'timeout', 'http', 'requestReceivedTimeout'];
      if (obj(obj(obj(p.value.spec).timeout).http).requestReceivedTimeout !== undefined) {
        ctx.use(p, path);
        ctx.warn(p, path, 'not imported: Envoy Gateway refuses this ClientTrafficPolicy (its bufferLimit is out of range)');
      }
      continue;
    }
    const received = duration(
      ctx,
      p,
      ['spec', 'timeout', 'http', 'requestReceivedTimeout'],
      obj(obj(obj(p.value.spec).timeout).http).requestReceivedTimeout,
    );
    // 0s is Envoy's "no deadline", as it is aigw's: left out, the profile read aigw's default 30s instead.
    if (received !== undefined) {
      ctx.set(['timeouts', 'request'], received > 0 ? profileDuration(received) : '0s', {
        m: p,
        path: ['spec', 'timeout', 'http', 'requestReceivedTimeout'],
      });
    }
  }
  const connect = connects.at(-1);
  if (connect) {
    const path = ['spec', 'timeout', 'tcp', 'connectTimeout'];
    ctx.set(['timeouts', 'connect'], profileDuration(connect.ms), { m: connect.m, path });
    if (connect.ms === 0) ctx.warn(connect.m, path, ENVOY_REFUSES_ZERO('connect timeout', "timeouts.connect 0s is aigw's no deadline"));
    // A connect timeout is a route's backends' (its BackendTrafficPolicy's), the profile's every backend's: the last
    // policy's was taken in silence, where other routes wait longer or shorter for a connection (Envoy Gateway's 10s
    // where their policy sets none).
    const byRoute = new PolicyReach(ctx, btps).perRoute(connects);
    sayRoutesDiffer(
      ctx,
      connect.m,
      path,
      (route) => {
        const own = byRoute.get(route);
        const ms = own?.ms ?? EG_DEFAULT_CONNECT_TIMEOUT_MS;
        if (ms === connect.ms) return undefined;
        return own ? `a connect timeout of ${profileDuration(ms)}` : `Envoy Gateway's default connect timeout of ${profileDuration(ms)}`;
      },
      'aigw has one timeouts.connect for every backend, so the profile takes this one',
    );
  } else if (ctx.manifests[0])
    ctx.set(['timeouts', 'connect'], profileDuration(EG_DEFAULT_CONNECT_TIMEOUT_MS), { m: ctx.manifests[0], path: [] });
  if (timing.length === 0) return;

  const reach = new PolicyReach(ctx, btps);
  const policyRequest = (t: RouteTiming) => reach.last(policyRequests, [t.m])?.ms;
  const policyIdle = (t: RouteTiming) => reach.last(policyIdles, [t.m])?.ms;
  const requests = timing.map((t) => (t.requestMs >= 0 ? t.requestMs : (policyRequest(t) ?? AIGW_DEFAULT_REQUEST_TIMEOUT_MS)));
  const idles = timing.map((t) => (t.idleMs >= 0 ? t.idleMs : (policyIdle(t) ?? ENVOY_DEFAULT_STREAM_IDLE_MS)));
  const first = timing[0]!;
  const finite = requests.filter((r) => r > 0);
  const defaulted = timing.some((t) => t.requestMs < 0 && policyRequest(t) === undefined);
  if (new Set(requests).size > 1 || new Set(idles).size > 1) {
    ctx.warn(first.m, ['spec', 'rules'], 'rules differ in timeouts: aigw has one set for all models, so the longest of each is used');
  }
  const rulePath = ['spec', 'rules', first.rule];
  // How long a rule waits for the headers: its request timeout (0: none) or, sooner, its stream idle timeout — nothing
  // is encoded while no headers come, so that timer runs too (examples/stream_idle_timeout fails over after 5s).
  const heads = requests.map((r, i) => Math.min(r > 0 ? r : Infinity, idles[i]! > 0 ? idles[i]! : Infinity));
  const head = Math.max(...heads);
  if (head !== Infinity) ctx.set(['timeouts', 'firstByte'], profileDuration(head), { m: first.m, path: [...rulePath, 'timeouts'] });
  else
    ctx.warn(first.m, [...rulePath, 'timeouts'], "a rule waits for a backend's headers without a deadline: aigw waits timeouts.firstByte");
  if (finite.length) {
    const ms = Math.max(...finite);
    const some = finite.length < requests.length ? 'a rule with a request timeout' : 'the cluster';
    ctx.warn(
      first.m,
      [...rulePath, 'timeouts'],
      `${some} cuts any answer, streams included, at ${profileDuration(ms)} (the route timeout is a deadline for the whole response` +
        `${defaulted ? "; 60s is Envoy AI Gateway's default when a rule sets none" : ''}); ` +
        'aigw has no such deadline: it waits for the headers (timeouts.firstByte), then only bounds silences (timeouts.idle)',
    );
  }
  ctx.set(['timeouts', 'idle'], profileDuration(Math.max(...idles)), { m: first.m, path: [...rulePath, 'streamIdleTimeout'] });
}

/**
 * Envoy's API takes a cluster's connect timeout and an outlier detection's base ejection time above 0 only (`duration =
 * {gt {}}`): the CRDs' pattern admits `0s`, and Envoy rejects the cluster Envoy Gateway builds from it. Read in silence,
 * the profile served what the cluster cannot.
 */
const ENVOY_REFUSES_ZERO = (what: string, profile: string): string =>
  `a ${what} of 0 is refused by Envoy (it takes one above 0): the cluster built from this policy is rejected and its ` +
  `backends get no traffic; imported as written (${profile})`;

export function importResilience(ctx: ImportContext): void {
  const btps = policiesFor(ctx, 'BackendTrafficPolicy');
  const retry = btps.find((p) => obj(p.value.spec).retry !== undefined);
  if (retry) {
    const r = obj(obj(retry.value.spec).retry);
    const retries = typeof r.numRetries === 'number' ? r.numRetries : 2;
    ctx.use(retry, ['spec', 'retry', 'numRetries'], ['spec', 'retry', 'numAttemptsPerPriority'], ['spec', 'retry', 'retryOn']);
    if (retries + 1 > MAX_ATTEMPTS) {
      ctx.warn(
        retry,
        ['spec', 'retry', 'numRetries'],
        `${retries} retries are ${retries + 1} attempts; aigw makes at most ${MAX_ATTEMPTS}, so the profile says ${MAX_ATTEMPTS}`,
      );
    }
    ctx.set(['resilience', 'attempts'], Math.min(MAX_ATTEMPTS, retries + 1), { m: retry, path: ['spec', 'retry', 'numRetries'] });
    sayRetriesDiffer(ctx, btps, retry, retries);
    if (r.retryOn !== undefined) {
      ctx.warn(
        retry,
        ['spec', 'retry', 'retryOn'],
        'not imported: aigw retries what fails on connect, times out, or answers 429, 5xx, 401 or 403, whatever the cluster lists',
      );
    }
    const perPriority = r.numAttemptsPerPriority;
    if (retries > 0 && (perPriority === undefined || perPriority === 0)) {
      // The CRD: unset or 0, "all requests are sent to the highest priority that is healthy" — a retry never moves to a
      // rule's next priority, which the import makes a fallback model that aigw fails over to within the attempts.
      const fallback = ctx
        .ofKind('AIGatewayRoute')
        .some((route) =>
          list(obj(route.value.spec).rules).some((rule) =>
            list(obj(rule).backendRefs).some((ref) => typeof obj(ref).priority === 'number' && (obj(ref).priority as number) > 0),
          ),
        );
      if (fallback) {
        ctx.warn(
          retry,
          ['spec', 'retry'],
          'without numAttemptsPerPriority (or at 0) the retries stay on the highest healthy priority: the cluster reaches a ' +
            "rule's later priorities only once the first is ejected, where aigw fails over to them (its fallback models) " +
            'within resilience.attempts',
        );
      }
    }
    if (r.numAttemptsPerPriority !== undefined) {
      ctx.warn(
        retry,
        ['spec', 'retry', 'numAttemptsPerPriority'],
        'not imported: aigw tries each target of a model once, then its fallbacks, within resilience.attempts',
      );
    }
  } else if (ctx.ofKind('AIGatewayRoute')[0]) {
    ctx.warn(
      ctx.ofKind('AIGatewayRoute')[0]!,
      [],
      'no BackendTrafficPolicy retry: Envoy sends a failed request back to the client, ' +
        'while aigw tries each target and fallback once first',
    );
    ctx.set(['resilience', 'attempts'], 1, { m: ctx.ofKind('AIGatewayRoute')[0]!, path: [] });
  }
  let ejects = false;
  /** The policy whose passive check the profile took (the last). */
  let ejection: Manifest | undefined;
  const backends = Object.keys(obj(ctx.profile.backends));
  const several = Object.entries(obj(ctx.profile.models))
    .filter(([, m]) => (obj(m).targets as unknown[]).length >= 2)
    .map(([model]) => model);
  const connections: { value: number; m: Manifest }[] = [];
  const queue: { value: number; m: Manifest }[] = [];
  const sticky: { header: string; m: Manifest }[] = [];
  for (const p of btps) {
    const spec = obj(p.value.spec);
    const given = obj(spec.healthCheck).passive;
    const passive = obj(given);
    // A passive check that leaves a field out has the CRD's default there (5 errors, 30s), not aigw's (3, 5s): read
    // as aigw's, `passive: {}` ejected a backend after 3 errors for 5s where the cluster waits for 5 and keeps it out 30s.
    if (given !== undefined) {
      ejects = true;
      ejection = p;
      const errors = typeof passive.consecutive5XxErrors === 'number' ? passive.consecutive5XxErrors : EG_DEFAULT_PASSIVE_ERRORS;
      ctx.set(['resilience', 'consecutiveFailures'], errors, {
        m: p,
        path: ['spec', 'healthCheck', 'passive', 'consecutive5XxErrors'],
      });
      const base = duration(ctx, p, ['spec', 'healthCheck', 'passive', 'baseEjectionTime'], passive.baseEjectionTime);
      if (base === 0) {
        ctx.warn(
          p,
          ['spec', 'healthCheck', 'passive', 'baseEjectionTime'],
          ENVOY_REFUSES_ZERO('base ejection time', 'resilience.cooldown 0s ejects a backend for no time'),
        );
      }
      ctx.set(['resilience', 'cooldown'], profileDuration(base ?? EG_DEFAULT_EJECTION_MS), {
        m: p,
        path: ['spec', 'healthCheck', 'passive', 'baseEjectionTime'],
      });
    }
    // Each policy's are read (and a later one's replace them); the profile is written once, after: written per policy
    // and per backend (or model), 2,000 policies on 2,000 backends — 1.6 MB of manifests — took 18 s.
    const cb = obj(spec.circuitBreaker);
    if (typeof cb.maxConnections === 'number') {
      connections.push({ value: Math.max(1, cb.maxConnections), m: p });
      if (backends.length) ctx.use(p, ['spec', 'circuitBreaker', 'maxConnections']);
    }
    if (typeof cb.maxPendingRequests === 'number') {
      queue.push({ value: cb.maxPendingRequests, m: p });
      if (backends.length) ctx.use(p, ['spec', 'circuitBreaker', 'maxPendingRequests']);
    }
    const lb = obj(spec.loadBalancer);
    const hash = obj(lb.consistentHash);
    const header = obj(hash.header).name;
    if (lb.type === 'ConsistentHash' && hash.type === 'Header' && typeof header === 'string') {
      sticky.push({ header, m: p });
      if (several.length) ctx.use(p, ['spec', 'loadBalancer']);
      ctx.warn(
        p,
        ['spec', 'loadBalancer'],
        `imported as sticky on ${header} for every model with several targets; ` +
          "aigw's sticky keeps a session on one target across a model's targets, " +
          "where Envoy's hash only picks an endpoint within a backend",
      );
    }
  }
  // Each backend and model takes the last policy that applies to a route of its (a route's own, read last, over the
  // Gateway's); one the routes do not reach — or when no policy is scoped — takes the last, as every policy reached it.
  const reach = new PolicyReach(ctx, btps);
  for (const name of backends) {
    const routes = reach.backendRoutes(name);
    const c = reach.last(connections, routes);
    if (c) ctx.set(['backends', name, 'maxConnections'], c.value, { m: c.m, path: ['spec', 'circuitBreaker', 'maxConnections'] });
    const q = reach.last(queue, routes);
    if (q) ctx.set(['backends', name, 'pool', 'queue'], q.value, { m: q.m, path: ['spec', 'circuitBreaker', 'maxPendingRequests'] });
  }
  // A single target has nothing to stick to (and aigw would warn that sticky does nothing).
  for (const model of several) {
    const st = reach.last(sticky, reach.modelRoutes(model));
    if (st) ctx.set(['models', model, 'sticky'], { header: st.header }, { m: st.m, path: ['spec', 'loadBalancer'] });
  }
  if (ejection) sayPassiveDiffers(ctx, btps, ejection);
  const route = ctx.ofKind('AIGatewayRoute')[0];
  if (!ejects && route) {
    ctx.warn(
      route,
      [],
      'no BackendTrafficPolicy passive health check: the cluster never ejects a failing backend, while aigw ejects one ' +
        'after resilience.consecutiveFailures (3) failures for its cooldown (5s)',
    );
  }
}

/** A policy's numRetries (Envoy Gateway's default 2 when its retry sets none), or undefined without a retry. */
function retriesOf(p: Manifest): number | undefined {
  const r = obj(p.value.spec).retry;
  if (r === undefined) return undefined;
  const n = obj(r).numRetries;
  return typeof n === 'number' ? n : 2;
}

/** A policy's passive check as its fields are written (the CRD's defaults where left out), or undefined without one. */
function passiveOf(p: Manifest): string | undefined {
  const given = obj(obj(p.value.spec).healthCheck).passive;
  if (given === undefined) return undefined;
  const x = obj(given);
  const errors = typeof x.consecutive5XxErrors === 'number' ? x.consecutive5XxErrors : EG_DEFAULT_PASSIVE_ERRORS;
  const base = typeof x.baseEjectionTime === 'string' ? x.baseEjectionTime : profileDuration(EG_DEFAULT_EJECTION_MS);
  return `${errors} errors, ${base}`;
}

/**
 * Routes whose policies eject differently — the Gateway's passive check on some, a route's own (or none) on others —
 * share aigw's one resilience.consecutiveFailures and cooldown: said at the check imported, with the other routes'.
 */
function sayPassiveDiffers(ctx: ImportContext, btps: readonly Manifest[], chosen: Manifest): void {
  const reach = new PolicyReach(ctx, btps);
  const mine = passiveOf(chosen);
  const checks = btps.flatMap((m) => {
    const check = passiveOf(m);
    return check === undefined ? [] : [{ m, check }];
  });
  sayRoutesDiffer(
    ctx,
    chosen,
    ['spec', 'healthCheck', 'passive'],
    (route) => {
      const last = reach.last(checks, [route]);
      if (last?.check === mine) return undefined;
      return last ? `a passive check of ${last.check}` : 'no passive check (never ejected)';
    },
    'aigw ejects by one resilience.consecutiveFailures and cooldown for every backend, so the profile takes this one',
  );
}

/**
 * Routes whose policies retry differently — the Gateway's on some, a route's own on others (no retry there: one
 * attempt) — share one resilience.attempts in aigw: said at the policy imported, with what each other route does.
 */
function sayRetriesDiffer(ctx: ImportContext, btps: readonly Manifest[], chosen: Manifest, retries: number): void {
  const reach = new PolicyReach(ctx, btps);
  sayRoutesDiffer(
    ctx,
    chosen,
    ['spec', 'retry', 'numRetries'],
    (route) => {
      const first = btps.find((p) => reach.applies(p, [route]) && retriesOf(p) !== undefined);
      const n = first ? retriesOf(first)! : 0;
      if (n === retries) return undefined;
      return n === 0 ? 'no retry' : `${n} retries`;
    },
    'aigw makes resilience.attempts for every model, so the profile takes this one',
  );
}

/**
 * Said at `chosen`, the policy a profile-wide setting was imported from, when some routes do otherwise: `differs`
 * says what a route does instead (undefined: as `chosen`), and the routes are listed by what they do.
 */
function sayRoutesDiffer(
  ctx: ImportContext,
  chosen: Manifest,
  path: KeyPath,
  differs: (route: Manifest) => string | undefined,
  consequence: string,
): void {
  const others = new Map<string, string[]>();
  for (const route of ctx.ofKind('AIGatewayRoute')) {
    const what = differs(route);
    if (what === undefined) continue;
    const routes = others.get(what);
    if (routes) routes.push(route.name);
    else others.set(what, [route.name]);
  }
  if (others.size === 0) return;
  const list = [...others].map(([what, routes]) => `${what} on route ${firstFew(routes)}`).join('; ');
  ctx.warn(chosen, path, `applies to some routes only (${list}): ${consequence}`);
}
