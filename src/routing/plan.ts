/**
 * The order in which a request tries targets: the pick (sticky, or smooth-weighted), then the group's
 * other healthy targets by weight, then each fallback model's targets the same way. Ejected backends are
 * left out — unless every one is ejected, when the plan ignores ejection (panic mode).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ModelRoute, Target, TargetGroup } from './route-table.js';
import { stickyPick } from './sticky.js';

export interface RouteContext {
  headers: IncomingHttpHeaders;
  tenant: string | undefined;
  now: number;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function groupFor(route: ModelRoute, ctx: RouteContext): TargetGroup {
  for (const rule of route.match) {
    if (rule.tenant !== undefined && rule.tenant !== ctx.tenant) continue;
    if (rule.headers && !rule.headers.every(([k, v]) => header(ctx.headers, k) === v)) continue;
    return rule.group;
  }
  return route.group;
}

function appendGroup(out: Target[], g: TargetGroup, route: ModelRoute, ctx: RouteContext): void {
  const healthy = (i: number) => g.targets[i]!.backend.health.available(ctx.now);
  const session = route.stickyHeader ? header(ctx.headers, route.stickyHeader) : undefined;
  const first = session !== undefined ? stickyPick(session, g.seeds, g.weights, healthy) : g.selector.pick(healthy);
  if (first < 0) return;
  out.push(g.targets[first]!);
  if (g.targets.length === 1) return;
  const rest = g.targets.filter((t, i) => i !== first && t.weight > 0 && healthy(i));
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
  const targets = orderedTargets(route, routes, ctx);
  if (targets.length > 0) return { targets, panic: false };
  return { targets: orderedTargets(route, routes, { ...ctx, now: Number.POSITIVE_INFINITY }), panic: true };
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
