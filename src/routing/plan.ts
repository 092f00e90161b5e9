/**
 * The order in which a request tries targets: the pick (sticky, or the model's strategy — strategies/
 * choose.ts keeps weights between groups of equal-weight targets and lets the strategy choose within one),
 * then the list's other healthy targets by weight (equals in a random turn of their order; a sticky session's in its
 * own rendezvous order), then each fallback model's targets the same way — its pick
 * made only once the attempt loop reaches it (Plan.at).
 * Ejected backends are left out — unless every one is ejected, when the plan ignores ejection (panic mode). A target
 * whose backend declared an overload goes behind its list's others while that lasts (demoteCooling).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ModelRoute, RouteGroups, Target, TargetGroup } from './route-table.js';
import { sessionOrder, stickyPick } from './sticky.js';
import type { RequestFacts, Rng } from './strategies/candidate.js';
import { chooseTarget, type RoutingState } from './strategies/choose.js';

export interface RouteContext {
  headers: IncomingHttpHeaders;
  tenant: string | undefined;
  /** The tenant's allow-list; undefined allows every model. A fallback outside it is left out of the plan. */
  allowed?: ReadonlySet<string> | undefined;
  now: number;
  /** What the strategies read of this request (request-facts.ts). */
  facts: RequestFacts;
  state: RoutingState;
  rng: Rng;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The list a request uses of a route: the first match rule its tenant and headers meet, else the default. */
export function groupFor(route: RouteGroups, ctx: Pick<RouteContext, 'headers' | 'tenant'>): TargetGroup {
  for (const rule of route.match) {
    if (rule.tenant !== undefined && rule.tenant !== ctx.tenant) continue;
    if (rule.headers && !rule.headers.every(([k, v]) => header(ctx.headers, k) === v)) continue;
    return rule.group;
  }
  return route.group;
}

/**
 * Whether this request — its tenant and headers deciding each route's list — could reach a target that speaks
 * Anthropic's API, on its model, a fallback or an escalation.
 */
export function reachesAnthropic(route: ModelRoute, ctx: Pick<RouteContext, 'headers' | 'tenant'>): boolean {
  for (const r of route.reachable) if (groupFor(r, ctx).anthropic) return true;
  return false;
}

/**
 * The target a token count (`/v1/messages/count_tokens`) is answered for when none of its list speaks Anthropic's API:
 * the gateway counts it itself whichever is picked (gateway/count-tokens.ts), so none is picked — the list's first
 * usable target is named, and no rotation moves. Picked, each count took a turn of the split from the requests that
 * reach a backend: a client counting before each message (as Claude Code does) had every message of a 50/50 split sent
 * to one replica. Undefined when a target of the list counts upstream: the plan picks as for any request.
 */
export function localCountTarget(route: ModelRoute, ctx: Pick<RouteContext, 'headers' | 'tenant'>, now: number): Target | undefined {
  const g = groupFor(route, ctx);
  if (g.anthropic) return undefined;
  route.clock.now = now;
  const live = g.targets.filter((t) => t.weight > 0);
  return live.find((t) => t.eligible) ?? live[0];
}

/** The request's session on a route with sticky routing (its sticky header's value), else undefined. */
function sessionOf(route: ModelRoute, ctx: RouteContext): string | undefined {
  return route.stickyHeader ? header(ctx.headers, route.stickyHeader) : undefined;
}

/** The first target to try of one list: the session's (sticky), else the strategy's choice — which advances its rotation. */
function pickFirst(g: TargetGroup, route: ModelRoute, ctx: RouteContext, session: string | undefined): number {
  return session !== undefined
    ? stickyPick(session, g.seeds, g.weights, (i) => g.targets[i]!.eligible)
    : chooseTarget(route.strategy, g.list, ctx.state, ctx.facts, ctx.rng);
}

function appendGroup(out: Target[], g: TargetGroup, route: ModelRoute, ctx: RouteContext): void {
  const session = sessionOf(route, ctx);
  const first = pickFirst(g, route, ctx, session);
  if (first < 0) return;
  const from = out.length;
  out.push(g.targets[first]!);
  if (g.targets.length === 1) return;
  const rest = g.targets.filter((t, i) => i !== first && t.weight > 0 && t.eligible);
  rest.sort((a, b) => b.weight - a.weight);
  const start = out.length;
  for (const t of rest) out.push(t);
  // A session's failovers keep one order, as its pick is kept — the session's own (sticky.ts sessionOrder): where it
  // moves if its target leaves, so the replica that took them keeps its cached prefix, and a failing replica's sessions
  // spread over its peers. In list order, every one of them went to the same replica, on top of its own.
  if (session !== undefined) sessionOrder(session, out, start, out.length);
  else spreadEquals(out, start, out.length, ctx.rng);
  demoteCooling(out, from, out.length, ctx);
}

/**
 * The targets of out[start, end) whose backend declared an overload (cooling.ts) moved behind the others, each side in
 * its order: tried last among its list's, still before any fallback's, and never left out — a model's only target, or
 * one whose peers are all out, is tried as before.
 */
function demoteCooling(out: Target[], start: number, end: number, ctx: RouteContext): void {
  const cooling = ctx.state.cooling;
  if (cooling.size === 0 || end - start < 2) return;
  const cold: Target[] = [];
  let w = start;
  for (let i = start; i < end; i++) {
    const t = out[i]!;
    if (cooling.isCooling(t.id, ctx.now)) cold.push(t);
    else out[w++] = t;
  }
  for (const t of cold) out[w++] = t;
}

/**
 * Each run of equal weights in out[start, end) turned by a random number of places: a request that fails over goes
 * to any of the pick's equals alike. In list order, every failover of a fleet's replicas went to its first other
 * replica, which took the failing one's load on top of its own (Envoy's retries draw another host, too).
 */
function spreadEquals(out: Target[], start: number, end: number, rng: Rng): void {
  for (let i = start; i < end; ) {
    let j = i + 1;
    while (j < end && out[j]!.weight === out[i]!.weight) j++;
    if (j - i > 1) rotate(out, i, j, Math.floor(rng.float() * (j - i)));
    i = j;
  }
}

/** out[from, to) turned left by k places, in place (three reversals). */
function rotate(out: Target[], from: number, to: number, k: number): void {
  if (k === 0) return;
  reverse(out, from, from + k);
  reverse(out, from + k, to);
  reverse(out, from, to);
}

function reverse(out: Target[], from: number, to: number): void {
  for (let a = from, b = to - 1; a < b; a++, b--) {
    const t = out[a]!;
    out[a] = out[b]!;
    out[b] = t;
  }
}

/**
 * A fallback's targets that could be tried, in their list's order: nothing is chosen until one is reached. One the plan
 * holds already (the same backend and upstream model, an alias's fallback to the model it names) is left out: planned
 * again, the request went twice to the target that had just failed it — a 500 sent again to the handler it crashes, a
 * hung replica waited for twice, a 429's retry-after skipped — for half the requests of an alias of one of two replicas.
 */
function appendUnchosen(out: Target[], g: TargetGroup): void {
  // A plan is a few targets: a scan, with no Set made per request — unless it is long (a list of hundreds), where scans
  // for each of a fallback's targets would cost its length squared.
  let planned: Set<string> | undefined;
  if (out.length + g.targets.length > SCAN_MAX) planned = new Set(out.map(idOf));
  for (const t of g.targets) {
    if (!(t.weight > 0 && t.eligible) || (planned ? planned.has(t.id) : holds(out, t.id))) continue;
    planned?.add(t.id);
    out.push(t);
  }
}

const SCAN_MAX = 32;
const idOf = (t: Target): string => t.id;

/** Whether the plan holds a target of this id already. */
function holds(out: readonly Target[], id: string): boolean {
  for (const t of out) if (t.id === id) return true;
  return false;
}

/**
 * The order in which one request tries targets. A fallback model's targets are ordered — its strategy's pick
 * first — only when the attempt loop reaches them: choosing is what advances that model's rotation, and a pick
 * never sent would skew the split of its own requests (a 50/50 fallback model took every direct request on one
 * side while its primary answered everything).
 */
export class Plan {
  /** Fallback segments below this one are ordered, or were passed over. */
  private reached = 0;

  constructor(
    /** Targets in the order to try them; a fallback model's are in their list's order until `at` reaches them. */
    readonly targets: Target[],
    /**
     * Every target (fallbacks included) is ejected, so the plan ignores ejection — Envoy's panic mode: a
     * model stays routable rather than refusing everyone because its backends recently failed.
     */
    readonly panic: boolean,
    private readonly route: ModelRoute,
    private readonly routes: ReadonlyMap<string, ModelRoute>,
    private readonly ctx: RouteContext,
    /** Where each planned fallback's targets start in `targets`, then where the last ends; absent without fallbacks. */
    private readonly bounds: number[] | undefined,
    /** Made with RouteClock.pastProbes: no target could take the request but one whose half-open probe is out. */
    readonly pastProbes = false,
  ) {}

  /** The target the attempt numbered `i` goes to (modulo the plan's length): a fallback's pick once it is reached. */
  at(i: number): Target {
    const j = i % this.targets.length;
    const b = this.bounds;
    // Only past the segments already reached: another target of a reached fallback must not reach the next one.
    if (b !== undefined && this.reached < b.length - 1 && j >= b[this.reached]!) this.reach(j);
    return this.targets[j]!;
  }

  private reach(j: number): void {
    const b = this.bounds!;
    let k = this.reached;
    while (k < b.length - 1 && j >= b[k + 1]!) k++;
    if (k >= b.length - 1) return;
    this.reached = k + 1;
    const fb = this.fallback(k);
    if (!fb) return;
    const g = groupFor(fb, this.ctx);
    const clock = this.route.clock;
    const was = clock.now;
    clock.now = this.panic ? Number.POSITIVE_INFINITY : this.ctx.now;
    clock.pastProbes = this.pastProbes;
    const session = sessionOf(fb, this.ctx);
    const first = pickFirst(g, fb, this.ctx, session);
    clock.now = was;
    clock.pastProbes = false;
    if (first >= 0) order(this.targets, b[k]!, b[k + 1]!, g.targets[first]!, session, this.ctx);
  }

  /** The k-th of the route's fallbacks that exist (as orderedTargets planned them). */
  private fallback(k: number): ModelRoute | undefined {
    let n = 0;
    for (const name of this.route.fallbacks) {
      const fb = fallbackRoute(name, this.routes, this.ctx);
      if (fb && n++ === k) return fb;
    }
    return undefined;
  }
}

/**
 * A fallback this request may be sent to: one the tenant's allow-list names (or any, without a list). A tenant
 * allowed only `m1` was answered by `m2` through m1's fallback, past its allow-list (and m2's modelLimits).
 */
function fallbackRoute(name: string, routes: ReadonlyMap<string, ModelRoute>, ctx: RouteContext): ModelRoute | undefined {
  return ctx.allowed && !ctx.allowed.has(name) ? undefined : routes.get(name);
}

/**
 * `pick` first in out[start, end), then the rest as appendGroup orders them — a session's in its own order, else by
 * weight, heaviest first, equals spread (spreadEquals) — in place.
 */
function order(out: Target[], start: number, end: number, pick: Target, session: string | undefined, ctx: RouteContext): void {
  let p = out.indexOf(pick, start);
  // Not among them: it was ejected at planning and has recovered since, or the plan holds it already, before this
  // fallback (the request went there, and the pick counts it); the planned ones keep their order.
  if (p < 0 || p >= end) return;
  for (; p > start; p--) out[p] = out[p - 1]!;
  out[start] = pick;
  for (let i = start + 2; i < end; i++) {
    const t = out[i]!;
    let m = i;
    for (; m > start + 1 && out[m - 1]!.weight < t.weight; m--) out[m] = out[m - 1]!;
    out[m] = t;
  }
  if (session !== undefined) sessionOrder(session, out, start + 1, end);
  else spreadEquals(out, start + 1, end, ctx.rng);
  demoteCooling(out, start, end, ctx);
}

export function planAttempts(route: ModelRoute, routes: ReadonlyMap<string, ModelRoute>, ctx: RouteContext): Plan {
  route.clock.now = ctx.now;
  const bounds = route.fallbacks.length > 0 ? [] : undefined;
  const targets = orderedTargets(route, routes, ctx, bounds);
  if (targets.length > 0) return new Plan(targets, false, route, routes, ctx, bounds);
  // None can take it now: one whose probe is out can (it is not ejected), before every ejected one can (panic).
  if (bounds) bounds.length = 0;
  route.clock.pastProbes = true;
  const probing = orderedTargets(route, routes, ctx, bounds);
  route.clock.pastProbes = false;
  if (probing.length > 0) return new Plan(probing, false, route, routes, ctx, bounds, true);
  route.clock.now = Number.POSITIVE_INFINITY;
  if (bounds) bounds.length = 0;
  const all = orderedTargets(route, routes, ctx, bounds);
  route.clock.now = ctx.now;
  return new Plan(all, true, route, routes, ctx, bounds);
}

function orderedTargets(
  route: ModelRoute,
  routes: ReadonlyMap<string, ModelRoute>,
  ctx: RouteContext,
  bounds: number[] | undefined,
): Target[] {
  const out: Target[] = [];
  appendGroup(out, groupFor(route, ctx), route, ctx);
  if (bounds === undefined) return out;
  for (const name of route.fallbacks) {
    const fb = fallbackRoute(name, routes, ctx);
    if (!fb) continue;
    bounds.push(out.length);
    appendUnchosen(out, groupFor(fb, ctx));
  }
  bounds.push(out.length);
  return out;
}
