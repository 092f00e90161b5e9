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

/** A Gateway's key in the indexes below: its namespace and name. */
const gatewayKey = (namespace: string, name: string): string => JSON.stringify([namespace, name]);

/** Per import: each route's Gateways (gatewayKey), null for a route that names none (taken to be on every one). */
const parentsOf = new WeakMap<ImportContext, Map<Manifest, Set<string> | null>>();

function routeGateways(ctx: ImportContext, r: Manifest): Set<string> | null {
  let byRoute = parentsOf.get(ctx);
  if (!byRoute) parentsOf.set(ctx, (byRoute = new Map()));
  let gateways = byRoute.get(r);
  if (gateways === undefined) {
    const refs = obj(r.value.spec).parentRefs;
    const named = new Set<string>();
    for (const x of Array.isArray(refs) ? refs : []) {
      const ref = obj(x);
      if (ref.kind !== undefined && ref.kind !== 'Gateway') continue;
      named.add(gatewayKey(typeof ref.namespace === 'string' ? ref.namespace : r.namespace, String(ref.name)));
    }
    gateways = named.size ? named : null;
    byRoute.set(r, gateways);
  }
  return gateways;
}

/** Per import, per policy kind: the Gateways (gatewayKey) each policy on the imported routes' Gateways attaches to. */
const onGatewaysOf = new WeakMap<ImportContext, Map<string, Map<Manifest, Set<string>>>>();

function gatewayPolicies(ctx: ImportContext, kind: string): Map<Manifest, Set<string>> {
  let byKind = onGatewaysOf.get(ctx);
  if (!byKind) onGatewaysOf.set(ctx, (byKind = new Map()));
  let policies = byKind.get(kind);
  if (!policies) {
    policies = new Map();
    for (const g of gatewaysOf(ctx)) {
      for (const p of ctx.targeting(kind, 'Gateway', g.name, g.namespace)) {
        const on = policies.get(p);
        if (on) on.add(gatewayKey(g.namespace, g.name));
        else policies.set(p, new Set([gatewayKey(g.namespace, g.name)]));
      }
    }
    byKind.set(kind, policies);
  }
  return policies;
}

/**
 * The imported routes a policy on a Gateway applies to: those attached to one of its Gateways (by parentRefs) without a
 * policy of its kind of their own. Its Gateways were not asked: with two Gateways, one's rate limits, API keys and
 * circuit breaker were imported for the other's routes too, which the cluster never applies them to.
 */
function gatewayReach(ctx: ImportContext, p: Manifest): Manifest[] {
  const on = gatewayPolicies(ctx, p.kind).get(p);
  const { byGateway, anywhere, order } = attachedIndex(ctx, p.kind);
  // By index, not a scan of every route per policy: a Gateway's policy each on thousands of Gateways and routes.
  const reach = new Set(anywhere);
  for (const g of on ?? []) for (const r of byGateway.get(g) ?? []) reach.add(r);
  return [...reach].sort((a, b) => order.get(a)! - order.get(b)!);
}

/** Per import, per policy kind: the routes that take their Gateway's policy (gatewayRoutes), by the Gateway they are on. */
const attachedOf = new WeakMap<
  ImportContext,
  Map<string, { byGateway: Map<string, Manifest[]>; anywhere: Manifest[]; order: Map<Manifest, number> }>
>();

function attachedIndex(ctx: ImportContext, kind: string) {
  let byKind = attachedOf.get(ctx);
  if (!byKind) attachedOf.set(ctx, (byKind = new Map()));
  let index = byKind.get(kind);
  if (!index) {
    index = { byGateway: new Map(), anywhere: [], order: new Map() };
    for (const r of gatewayRoutes(ctx, kind)) {
      index.order.set(r, index.order.size);
      const parents = routeGateways(ctx, r);
      if (parents === null) index.anywhere.push(r);
      else
        for (const g of parents) {
          const routes = index.byGateway.get(g);
          if (routes) routes.push(r);
          else index.byGateway.set(g, [r]);
        }
    }
    byKind.set(kind, index);
  }
  return index;
}

/**
 * Policies that apply to what was imported: on its Gateways, or on the HTTPRoutes its AIGatewayRoutes generate. A
 * route's own policy replaces its Gateway's unless it sets mergeType (the CRDs: "If unset, no merging occurs, and only
 * the most specific configuration takes effect"): a Gateway's policy counts only while a route attached to that Gateway
 * has none of its own — merged in, the Gateway's API keys were tenants the cluster refuses on that route, its retries
 * the route's.
 */
export function policiesFor(ctx: ImportContext, kind: string): Manifest[] {
  // Looked up by target, then kept in the order of the files: a scan of every policy per Gateway and route was quadratic.
  const onGateway = gatewayPolicies(ctx, kind);
  const routes = ctx.ofKind('AIGatewayRoute');
  const onRoute = new Set(routes.flatMap((r) => ctx.targeting(kind, 'HTTPRoute', r.name, r.namespace)));
  const policies = ctx.ofKind(kind);
  const first = new Set<Manifest>();
  for (const p of policies) {
    if (!onGateway.has(p)) continue;
    if (routes.length === 0 || gatewayReach(ctx, p).length > 0) first.add(p);
    else if (!onRoute.has(p)) sayOverridden(ctx, kind, p, ownPolicies(ctx, kind, onGateway.get(p)!));
  }
  // Route-level policies override Gateway-level ones in Envoy Gateway: read them last.
  const all = [...first, ...policies.filter((p) => onRoute.has(p) && !first.has(p))];
  for (const p of all) ctx.use(p, ['spec', 'targetRefs'], ['spec', 'targetRef']);
  return all;
}

/** The policies of `kind` of the routes attached to these Gateways: those that replace the Gateways' on them. */
function ownPolicies(ctx: ImportContext, kind: string, gateways: ReadonlySet<string>): Manifest[] {
  const out = new Set<Manifest>();
  for (const r of ctx.ofKind('AIGatewayRoute')) {
    const parents = routeGateways(ctx, r);
    if (parents !== null && ![...parents].some((g) => gateways.has(g))) continue;
    for (const p of ctx.targeting(kind, 'HTTPRoute', r.name, r.namespace)) out.add(p);
  }
  return [...out];
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
    // On the Gateway: every route attached to it but those with a policy of this kind of their own, which the cluster
    // applies instead.
    const reach = gatewayReach(ctx, p);
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
