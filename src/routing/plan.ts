/**
 * The order in which a request tries targets: the pick (sticky, or the model's strategy — strategies/
 * choose.ts keeps weights between groups of equal-weight targets and lets the strategy choose within one),
 * then the list's other healthy targets by weight, then each fallback model's targets the same way.
 * Ejected backends are left out — unless every one is ejected, when the plan ignores ejection (panic mode).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ModelRoute, RouteGroups, Target, TargetGroup } from './route-table.js';
import { stickyPick } from './sticky.js';
import type { RequestFacts, Rng } from './strategies/candidate.js';
import { chooseTarget, type RoutingState } from './strategies/choose.js';

export interface RouteContext {
  headers: IncomingHttpHeaders;
  tenant: string | undefined;
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

function appendGroup(out: Target[], g: TargetGroup, route: ModelRoute, ctx: RouteContext): void {
  const session = route.stickyHeader ? header(ctx.headers, route.stickyHeader) : undefined;
  const first =
    session !== undefined
      ? stickyPick(session, g.seeds, g.weights, (i) => g.targets[i]!.eligible)
      : chooseTarget(route.strategy, g.list, ctx.state, ctx.facts, ctx.rng);
  if (first < 0) return;
  out.push(g.targets[first]!);
  if (g.targets.length === 1) return;
  const rest = g.targets.filter((t, i) => i !== first && t.weight > 0 && t.eligible);
  rest.sort((a, b) => b.weight - a.weight);
  for (const t of rest) out.push(t);
}

export interface Plan {
  /** Targets in the order to try them. */
  targets: Target[];
  /**
   * Every target (fallbacks included) is ejected, so the plan ignores ejection — Envoy's panic mode: a
   * model stays routable rather than refusing everyone because its backends recently failed.
   */
  panic: boolean;
}

export function planAttempts(route: ModelRoute, routes: ReadonlyMap<string, ModelRoute>, ctx: RouteContext): Plan {
  route.clock.now = ctx.now;
  const targets = orderedTargets(route, routes, ctx);
  if (targets.length > 0) return { targets, panic: false };
  route.clock.now = Number.POSITIVE_INFINITY;
  const all = orderedTargets(route, routes, ctx);
  route.clock.now = ctx.now;
  return { targets: all, panic: true };
}

function orderedTargets(route: ModelRoute, routes: ReadonlyMap<string, ModelRoute>, ctx: RouteContext): Target[] {
  const out: Target[] = [];
  appendGroup(out, groupFor(route, ctx), route, ctx);
  for (const name of route.fallbacks) {
    const fb = routes.get(name);
    if (fb) appendGroup(out, groupFor(fb, ctx), fb, ctx);
  }
  return out;
}
