/**
 * Which imported routes a policy applies to, as Envoy Gateway attaches it: on a Gateway, to its routes without a
 * policy of the same kind of their own (no mergeType: only the most specific applies); on an HTTPRoute, to the
 * AIGatewayRoute that generates it. The traffic and tenant imports read each setting where the cluster applies it.
 */
import { firstFew } from '../../core/first-few.js';
import type { ImportContext, Raw } from './import-context.js';
import type { Manifest } from './manifests.js';

const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});

/** The Gateways the imported routes attach to (every Gateway in the files when no route names one). */
export function gatewaysOf(ctx: ImportContext): { name: string; namespace: string; ref?: { m: Manifest; path: (string | number)[] } }[] {
  const out = new Map<string, { name: string; namespace: string; ref?: { m: Manifest; path: (string | number)[] } }>();
  for (const r of ctx.ofKind('AIGatewayRoute')) {
    const refs = obj(r.value.spec).parentRefs;
    (Array.isArray(refs) ? refs : []).forEach((p, i) => {
      const ref = obj(p);
      if (ref.kind !== undefined && ref.kind !== 'Gateway') return;
      const ns = typeof ref.namespace === 'string' ? ref.namespace : r.namespace;
      out.set(`${ns}/${String(ref.name)}`, { name: String(ref.name), namespace: ns, ref: { m: r, path: ['spec', 'parentRefs', i] } });
    });
  }
  if (out.size === 0) for (const g of ctx.ofKind('Gateway')) out.set(`${g.namespace}/${g.name}`, { name: g.name, namespace: g.namespace });
  return [...out.values()];
}

/**
 * Policies that apply to what was imported: on its Gateways, or on the HTTPRoutes its AIGatewayRoutes generate. A
 * route's own policy replaces its Gateway's unless it sets mergeType (the CRDs: "If unset, no merging occurs, and only
 * the most specific configuration takes effect"): a Gateway's policy counts only while an imported route has none of
 * its own — merged in, the Gateway's API keys were tenants the cluster refuses on that route, its retries the route's.
 */
export function policiesFor(ctx: ImportContext, kind: string): Manifest[] {
  // Looked up by target, then kept in the order of the files: a scan of every policy per Gateway and route was quadratic.
  const onGateway = new Set(gatewaysOf(ctx).flatMap((g) => ctx.targeting(kind, 'Gateway', g.name, g.namespace)));
  const routes = ctx.ofKind('AIGatewayRoute');
  const onRoute = new Set(routes.flatMap((r) => ctx.targeting(kind, 'HTTPRoute', r.name, r.namespace)));
  const gatewayApplies = routes.length === 0 || gatewayRoutes(ctx, kind).length > 0;
  const policies = ctx.ofKind(kind);
  if (!gatewayApplies) {
    for (const p of policies) if (onGateway.has(p) && !onRoute.has(p)) sayOverridden(ctx, kind, p, [...onRoute]);
  }
  // Route-level policies override Gateway-level ones in Envoy Gateway: read them last.
  const first = new Set(gatewayApplies ? policies.filter((p) => onGateway.has(p)) : []);
  const all = [...first, ...policies.filter((p) => onRoute.has(p) && !first.has(p))];
  for (const p of all) ctx.use(p, ['spec', 'targetRefs'], ['spec', 'targetRef']);
  return all;
}

/**
 * The AIGatewayRoutes a policy attaches to when it names HTTPRoutes only (by targetRefs, no selectors): those routes,
 * and so their models only. Undefined for a policy on a Gateway (or attached by selectors), taken to reach every route.
 */
export function routeScope(ctx: ImportContext, p: Manifest): Manifest[] | undefined {
  const spec = obj(p.value.spec);
  if (spec.targetSelectors !== undefined) return undefined;
  const refs: unknown[] = Array.isArray(spec.targetRefs) ? spec.targetRefs : spec.targetRef ? [spec.targetRef] : [];
  if (refs.length && refs.every((x) => obj(x).kind === 'Gateway')) {
    // On the Gateway: every route but those with a policy of this kind of their own, which the cluster applies instead.
    const reach = gatewayRoutes(ctx, p.kind);
    return reach.length < ctx.ofKind('AIGatewayRoute').length ? reach : undefined;
  }
  const out: Manifest[] = [];
  for (const x of refs) {
    const ref = obj(x);
    if (ref.kind !== 'HTTPRoute') return undefined;
    const route = typeof ref.name === 'string' ? ctx.find('AIGatewayRoute', ref.name, p.namespace) : undefined;
    if (route) out.push(route);
  }
  return refs.length ? out : undefined;
}

/** Per import, per policy kind: the routes a Gateway's policy of that kind applies to (gatewayRoutes). */
const reachOf = new WeakMap<ImportContext, Map<string, Manifest[]>>();

/**
 * The imported routes that take their Gateway's policy of `kind`: those without one of their own that replaces it. A
 * Gateway's policy was read as applying to every route whenever one route took it, beside the routes' own: its API keys
 * tenants on routes that refuse them, its rate limits on models the cluster does not limit there.
 */
export function gatewayRoutes(ctx: ImportContext, kind: string): Manifest[] {
  let byKind = reachOf.get(ctx);
  if (!byKind) reachOf.set(ctx, (byKind = new Map()));
  let reach = byKind.get(kind);
  if (!reach) {
    reach = ctx
      .ofKind('AIGatewayRoute')
      .filter((r) => !ctx.targeting(kind, 'HTTPRoute', r.name, r.namespace).some((p) => replacesGateway(p, r)));
    byKind.set(kind, reach);
  }
  return reach;
}

/**
 * Whether `p` takes the place of its Gateway's policy on route `r`: it names the whole route in its targetRefs (not one
 * rule of it, a sectionName) and merges nothing (no mergeType). A policy attached by targetSelectors is not counted:
 * across namespaces the import may only guess that it selects the route, and on a guess no Gateway's check is dropped.
 */
function replacesGateway(p: Manifest, r: Manifest): boolean {
  const spec = obj(p.value.spec);
  if (spec.mergeType !== undefined || p.namespace !== r.namespace) return false;
  const refs: unknown[] = Array.isArray(spec.targetRefs) ? spec.targetRefs : spec.targetRef ? [spec.targetRef] : [];
  return refs.some((x) => {
    const ref = obj(x);
    return ref.kind === 'HTTPRoute' && ref.name === r.name && ref.sectionName === undefined;
  });
}

/** A Gateway's policy that no imported route takes (each has its own): said once, and read (not listed as skipped). */
function sayOverridden(ctx: ImportContext, kind: string, p: Manifest, routePolicies: readonly Manifest[]): void {
  if (ctx.overridden.has(p)) return;
  ctx.overridden.add(p);
  const names = firstFew(routePolicies.map((r) => `${r.namespace}/${r.name}`));
  ctx.warn(
    p,
    ['spec'],
    `the route's own ${kind} (${names}) applies instead: without mergeType, Envoy Gateway applies only ` +
      "a route's most specific policy, so this one is not imported",
  );
  ctx.use(p, ['spec']);
}

/**
 * Which routes each policy applies to (routeScope: a Gateway's to the routes without their own), and which routes
 * each backend and model is reached by, for the settings the profile keeps per backend or per model.
 */
export class PolicyReach {
  private readonly scope = new Map<Manifest, Set<Manifest> | undefined>();
  private byBackend?: Map<string, Manifest[]>;
  private byModel?: Map<string, Manifest[]>;

  constructor(
    private readonly ctx: ImportContext,
    policies: readonly Manifest[],
  ) {
    for (const p of policies) {
      const s = routeScope(ctx, p);
      this.scope.set(p, s && new Set(s));
    }
  }

  /** Whether `p` applies to one of `routes` (to any, when it reaches every route or none is known). */
  applies(p: Manifest, routes: readonly Manifest[]): boolean {
    const s = this.scope.get(p);
    return !s || routes.length === 0 || routes.some((r) => s.has(r));
  }

  /**
   * Per imported route, the last of `values` whose policy applies to it: in one pass over the values, not a scan of
   * them per route (thousands of route policies on thousands of routes).
   */
  perRoute<T extends { m: Manifest }>(values: readonly T[]): Map<Manifest, T> {
    const out = new Map<Manifest, T>();
    const routes = this.ctx.ofKind('AIGatewayRoute');
    for (const v of values) {
      const s = this.scope.get(v.m);
      for (const r of s ?? routes) out.set(r, v);
    }
    return out;
  }

  /** The last of `values` whose policy applies to one of `routes`. */
  last<T extends { m: Manifest }>(values: readonly T[], routes: readonly Manifest[]): T | undefined {
    for (let i = values.length - 1; i >= 0; i--) if (this.applies(values[i]!.m, routes)) return values[i];
    return undefined;
  }

  backendRoutes(name: string): Manifest[] {
    this.index();
    return this.byBackend!.get(name) ?? [];
  }

  modelRoutes(name: string): Manifest[] {
    this.index();
    return this.byModel!.get(name) ?? [];
  }

  /** Each routed model's routes, given to the models its fallbacks reach and to the backends of all of them. */
  private index(): void {
    if (this.byBackend) return;
    const byBackend = (this.byBackend = new Map<string, Manifest[]>());
    const byModel = (this.byModel = new Map<string, Manifest[]>());
    const models = obj(this.ctx.profile.models);
    const add = (map: Map<string, Manifest[]>, key: string, routes: readonly Manifest[]) => {
      const had = map.get(key);
      if (!had) map.set(key, [...routes]);
      else for (const r of routes) if (!had.includes(r)) had.push(r);
    };
    for (const [model, routes] of this.ctx.routedModels) {
      const seen = new Set<string>();
      const queue = [model];
      while (queue.length) {
        const name = queue.pop()!;
        if (seen.has(name) || !Object.hasOwn(models, name)) continue;
        seen.add(name);
        add(byModel, name, routes);
        const m = obj(models[name]);
        const groups = [m.targets, ...(Array.isArray(m.match) ? m.match.map((x) => obj(x).targets) : [])];
        for (const g of groups) for (const t of Array.isArray(g) ? g : []) add(byBackend, String(obj(t).backend), routes);
        if (Array.isArray(m.fallbacks)) queue.push(...m.fallbacks.map(String));
      }
    }
  }
}
