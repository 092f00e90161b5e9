/**
 * SecurityPolicy apiKeyAuth → `tenants` (one per client id in its Secrets, keys as `${VAR}`), and the
 * BackendTrafficPolicy's rate-limit rules keyed on the forwarded client id → tenant `tpm` (total tokens from
 * llmRequestCosts, charged after the answer) and `rpm`, per model under `modelLimits`. Rules that key on
 * anything else — a header the client sets itself, a source address, input or output tokens alone — are warnings.
 */
import { getOwn, isReservedName } from '../../profile/own-keys.js';
import { COST_NAMESPACE, MODEL_HEADER } from './api.js';
import { reservedMessage, secretKeys, secretValue } from './import-backends.js';
import type { ImportContext, Raw } from './import-context.js';
import { policiesFor, routeScope } from './import-policies.js';
import { profileDuration } from './import-traffic.js';
import type { Manifest } from './manifests.js';
import { envVarFor, wholeEnvRef } from './names.js';
import { firstFew } from '../../core/first-few.js';

const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const KEY_HEADERS = new Set(['authorization', 'api-key', 'x-api-key']);
const UNIT_MS: Record<string, number> = {
  Second: 1000,
  Minute: 60_000,
  Hour: 3_600_000,
  Day: 86_400_000,
  Month: 30 * 86_400_000,
  Year: 365 * 86_400_000,
};

/** Whether a client id is a profile name as it is (a Secret key may start with `.`, `-` or `_`, a name may not). */
const isName = (clientId: string): boolean => /^[A-Za-z0-9]/.test(clientId);

/**
 * Each client id's tenant: the id itself where it is a name, else `t` + the id — unless that is another client id's
 * (`.acme` and `t.acme`), or a name already given: then `-2`, `-3`, … One shared name gave both ids one tenant, the
 * second id's key replacing the first's (that client refused) and both ids' rate limits on it.
 */
class TenantNames {
  readonly byId = new Map<string, string>();
  private readonly taken = new Set<string>();

  /** `ids`: every client id that is a name as it is, which keeps it whatever the order. */
  constructor(private readonly ids: ReadonlySet<string>) {}

  nameOf(clientId: string): string {
    const known = this.byId.get(clientId);
    if (known !== undefined) return known;
    const wanted = isName(clientId) ? clientId : `t${clientId}`;
    let name = wanted;
    for (let i = 2; this.taken.has(name) || (name !== clientId && this.ids.has(name)); i++) name = `${wanted}-${i}`;
    this.taken.add(name);
    this.byId.set(clientId, name);
    return name;
  }
}

export function importTenants(ctx: ImportContext): void {
  let tenantHeader: string | undefined;
  const names = new TenantNames(new Set(ctx.ofKind('Secret').flatMap(secretKeys).filter(isName)));
  /** Client id → the Secret its key was read from (the first, as Envoy Gateway keeps it). */
  const readFrom = new Map<string, Manifest>();
  const readSecrets = new Set<Manifest>();
  let keyPolicy: Manifest | undefined;
  const keyPolicies: Manifest[] = [];
  const scopes = new KeyScopes(ctx);
  for (const sp of policiesFor(ctx, 'SecurityPolicy')) {
    refuseUnmapped(ctx, sp);
    const auth = obj(obj(sp.value.spec).apiKeyAuth);
    if (!obj(sp.value.spec).apiKeyAuth) continue;
    keyPolicy ??= sp;
    keyPolicies.push(sp);
    const scope = routeScope(ctx, sp);
    ctx.use(sp, ['spec', 'targetRefs'], ['spec', 'apiKeyAuth', 'sanitize']);
    list(auth.extractFrom).forEach((e, i) => {
      const from = obj(e);
      const headers = list(from.headers).map((h) => String(h).toLowerCase());
      if (headers.every((h) => KEY_HEADERS.has(h)) && !from.cookies && !from.params) ctx.use(sp, ['spec', 'apiKeyAuth', 'extractFrom', i]);
      else {
        ctx.warn(sp, ['spec', 'apiKeyAuth', 'extractFrom', i], 'aigw reads keys from Authorization: Bearer, api-key and x-api-key only');
        ctx.use(sp, ['spec', 'apiKeyAuth', 'extractFrom', i]);
      }
    });
    if (typeof auth.forwardClientIDHeader === 'string') {
      tenantHeader = auth.forwardClientIDHeader.toLowerCase();
      ctx.use(sp, ['spec', 'apiKeyAuth', 'forwardClientIDHeader']);
    }
    list(auth.credentialRefs).forEach((r, i) => {
      const ref = obj(r);
      const path = ['spec', 'apiKeyAuth', 'credentialRefs', i];
      ctx.use(sp, path);
      const secret = ctx.find('Secret', String(ref.name), typeof ref.namespace === 'string' ? ref.namespace : sp.namespace);
      if (!secret) {
        ctx.warn(
          sp,
          path,
          `Secret ${String(ref.name)} is not among the files: its client ids (the tenants) and their keys are not imported`,
        );
        return;
      }
      ctx.use(secret, []);
      scopes.ask(secret, sp, scope);
      // A Secret read once is read: each of its ids already has its first Secret. Read again for every policy naming it,
      // 3,000 policies on one Secret of 3,000 ids (843 KB) took 3 s, growing with their product.
      if (readSecrets.has(secret)) return;
      readSecrets.add(secret);
      for (const id of secretKeys(secret)) {
        scopes.hold(id, secret);
        const first = readFrom.get(id);
        if (first) {
          // Envoy Gateway's apiKeyAuth takes a client id from the first Secret that holds it and skips it in the others.
          if (first !== secret) {
            ctx.warn(
              secret,
              ['stringData', id],
              `client id ${id} is already read from Secret ${first.namespace}/${first.name}: Envoy Gateway keeps the first ` +
                "Secret's key, so this one is not imported",
            );
          }
          continue;
        }
        readFrom.set(id, secret);
        const name = names.nameOf(id);
        if (isReservedName(name)) {
          // Dropped, the client's key would stop being asked for (with no tenant left, by anyone): refused whole.
          ctx.refuse(secret, ['stringData', id], reservedMessage('tenant (client id)', name, 'cannot be imported'));
          continue;
        }
        const value = secretValue(secret, id) ?? '';
        // Client ids `team-a` and `team_a` (or a backend's Secret named `tenant-team-a-key`) must not read one variable.
        const variable =
          wholeEnvRef(value) ?? ctx.variableFor(['Secret', secret.namespace, secret.name, id], envVarFor('tenant', id, 'key'));
        if (!wholeEnvRef(value)) ctx.warn(secret, ['stringData', id], `the key is not copied into the profile: set \${${variable}}`);
        if (name !== id) {
          ctx.warn(
            secret,
            ['stringData', id],
            `client id ${id} is imported as tenant ${name} (a tenant name starts with a letter or digit` +
              `${name.startsWith(`t${id}-`) ? `, and t${id} is another client id's` : ''})`,
          );
        }
        ctx.setVariable(['tenants', name, 'keys'], variable, { m: secret, path: ['stringData', id] }, 0);
      }
    });
  }
  // The cluster asks for a key; a profile without tenants would let anyone in.
  const tenants = new Map([...names.byId].filter(([, name]) => !isReservedName(name)));
  if (keyPolicy && tenants.size === 0)
    ctx.refuse(
      keyPolicy,
      ['spec', 'apiKeyAuth'],
      'the cluster asks every client for an API key, but no client id (tenant) could be imported: the profile would let anyone in',
    );
  if (keyPolicy) sayOpenModels(ctx, keyPolicies);
  if (keyPolicy) scopes.allow(tenants, keyPolicies);
  importRateLimits(ctx, tenantHeader, tenants);
}

/**
 * Which models each client's key opens in the cluster. A policy asks for the keys of its Secrets on the routes it
 * applies to only: a Gateway's on the routes without a SecurityPolicy of their own, a route's on that route. A client
 * id is let in where a policy naming one of its Secrets asks, and where no policy asks for any key; elsewhere the
 * cluster refuses its key (401). aigw's tenant may use every model unless `models` narrows it: imported without, a
 * client of the Gateway's Secret was a tenant on the routes whose own policy refuses it, and theirs on the Gateway's.
 */
class KeyScopes {
  /** Secret → the routes whose policies ask for its keys (undefined: every route). */
  private readonly routes = new Map<Manifest, { routes: Set<Manifest> | undefined; by: Manifest }>();
  /** Client id → the Secrets that hold it. */
  private readonly secretsOf = new Map<string, Manifest[]>();
  /** Public models some narrowed tenant's models fall back to, which its allow-list leaves out. */
  private readonly skippedFallbacks = new Set<string>();

  constructor(private readonly ctx: ImportContext) {}

  ask(secret: Manifest, policy: Manifest, scope: readonly Manifest[] | undefined): void {
    const had = this.routes.get(secret);
    if (had && had.routes === undefined) return;
    if (!scope) this.routes.set(secret, { routes: undefined, by: had?.by ?? policy });
    else if (had) for (const r of scope) had.routes!.add(r);
    else this.routes.set(secret, { routes: new Set(scope), by: policy });
  }

  hold(id: string, secret: Manifest): void {
    const list = this.secretsOf.get(id);
    if (!list) this.secretsOf.set(id, [secret]);
    else if (!list.includes(secret)) list.push(secret);
  }

  /**
   * The models and the `M:priority-N` models their fallbacks reach: aigw's allow-list holds for fallbacks too, and
   * those are the same routes' later priorities in the cluster. A fallback that is another route's public model stays
   * out (the cluster asks for that route's keys when it is called by name); aigw then skips it, said.
   */
  private withFallbacks(allowed: readonly string[]): string[] {
    const models = obj(this.ctx.profile.models);
    const out = new Set(allowed);
    const queue = [...allowed];
    while (queue.length) {
      const m = obj(models[queue.pop()!]);
      for (const f of Array.isArray(m.fallbacks) ? m.fallbacks.map(String) : []) {
        if (out.has(f) || !Object.hasOwn(models, f)) continue;
        if (this.ctx.routedModels.has(f)) {
          this.skippedFallbacks.add(f);
          continue;
        }
        out.add(f);
        queue.push(f);
      }
    }
    return [...out];
  }

  /** Sets `models` on each tenant the cluster lets in on some models only; said once per set of Secrets. */
  allow(tenants: ReadonlyMap<string, string>, keyPolicies: readonly Manifest[]): void {
    const scoped = keyPolicies.map((p) => routeScope(this.ctx, p));
    // A policy on every route (or by selectors, taken so) leaves no route open.
    const everyRoute = scoped.some((s) => s === undefined);
    const guarded = new Set(scoped.flatMap((s) => s ?? []));
    const models = [...this.ctx.routedModels].filter(([m]) => Object.hasOwn(obj(this.ctx.profile.models), m));
    const bySecrets = new Map<string, { allowed: string[] | undefined; names: string[]; at: Manifest }>();
    for (const [id, name] of tenants) {
      const secrets = this.secretsOf.get(id) ?? [];
      const key = JSON.stringify(secrets.map((m) => [m.namespace, m.name]));
      let group = bySecrets.get(key);
      if (!group) {
        const reach = secrets.map((m) => this.routes.get(m));
        let allowed: string[] | undefined;
        if (reach.length && reach.every((x) => x !== undefined) && !reach.some((x) => x!.routes === undefined)) {
          const mine = new Set(reach.flatMap((x) => [...x!.routes!]));
          const open = models.filter(([, rs]) => rs.some((r) => mine.has(r) || (!everyRoute && !guarded.has(r)))).map(([m]) => m);
          if (open.length < models.length) allowed = this.withFallbacks(open);
        }
        group = { allowed, names: [], at: reach[0]?.by ?? keyPolicies[0]! };
        bySecrets.set(key, group);
      }
      if (!group.allowed) continue;
      group.names.push(name);
      this.ctx.set(['tenants', name, 'models'], [...group.allowed], { m: group.at, path: ['spec', 'targetRefs'] });
    }
    for (const g of bySecrets.values()) {
      if (!g.allowed || g.names.length === 0) continue;
      this.ctx.warn(
        g.at,
        ['spec', 'targetRefs'],
        `the cluster takes the keys of tenants ${firstFew(g.names)} on the routes of models ` +
          `${g.allowed.length ? firstFew(g.allowed) : '(none)'} only (a route with a SecurityPolicy of its own asks for its ` +
          "keys instead of the Gateway's): imported as their models",
      );
    }
    if (this.skippedFallbacks.size) {
      this.ctx.warn(
        keyPolicies[0]!,
        ['spec', 'targetRefs'],
        `models ${firstFew([...this.skippedFallbacks])} are fallbacks of models some of these tenants may use, but not ` +
          "theirs to call: aigw's allow-list skips them as fallbacks too, where the cluster fails over to those backends",
      );
    }
  }
}

/**
 * API-key policies that name some routes' HTTPRoutes only leave the others' models open in the cluster, where aigw's
 * tenants apply to every model: a client without a key that the cluster serves gets 401 from aigw. Said, at the first.
 */
function sayOpenModels(ctx: ImportContext, keyPolicies: readonly Manifest[]): void {
  const guarded = new Set<Manifest>();
  for (const p of keyPolicies) {
    const routes = routeScope(ctx, p);
    if (!routes) return; // on a Gateway (or by selectors): every route asks for a key
    for (const r of routes) guarded.add(r);
  }
  const open = [...ctx.routedModels].filter(([, rs]) => !rs.some((r) => guarded.has(r))).map(([model]) => model);
  if (open.length === 0) return;
  const shown = firstFew(open);
  ctx.warn(
    keyPolicies[0]!,
    ['spec', 'apiKeyAuth'],
    `the cluster asks for an API key on the routes these policies name only: models ${shown} take requests without one ` +
      "there, where aigw's tenants apply to every model (a request without a key gets 401)",
  );
}

/** What a SecurityPolicy may check that aigw cannot import, and what the check is. */
const UNMAPPED_AUTH: readonly [string, string][] = [
  ['basicAuth', 'asks every client for a password (basicAuth)'],
  ['jwt', 'asks every client for a JWT (aigw has auth.jwt: set it by hand)'],
  ['oidc', 'signs clients in with OIDC'],
  ['extAuth', 'asks an external service whether to let each request in (extAuth)'],
  ['authorization', 'lets clients in by authorization rules'],
];

/** A check aigw cannot carry over is refused: dropped, it leaves a profile that lets in whoever the cluster keeps out. */
function refuseUnmapped(ctx: ImportContext, sp: Manifest): void {
  const spec = obj(sp.value.spec);
  for (const [field, what] of UNMAPPED_AUTH) {
    if (spec[field] === undefined) continue;
    ctx.use(sp, ['spec', field]);
    ctx.refuse(sp, ['spec', field], `the cluster ${what}; aigw cannot import it, and without it the profile would let anyone in`);
  }
}

interface Limit {
  /** The client id the rule names (its tenant is looked up: the two may differ), or `*` for every one (Distinct). */
  tenant: string | '*';
  model?: string;
  kind: 'tpm' | 'rpm';
  amount: number;
  unitMs: number;
  /** `shared: true`: one bucket across the routes; else Envoy Gateway counts it per route it generates. */
  shared: boolean;
  m: Manifest;
  path: (string | number)[];
}

/** llmRequestCosts of every imported route: metadata key → cost type. */
function costTypes(ctx: ImportContext): Map<string, { type: string; m: Manifest; path: (string | number)[] }> {
  const out = new Map<string, { type: string; m: Manifest; path: (string | number)[] }>();
  for (const r of ctx.ofKind('AIGatewayRoute')) {
    list(obj(r.value.spec).llmRequestCosts).forEach((c, i) => {
      out.set(String(obj(c).metadataKey), { type: String(obj(c).type), m: r, path: ['spec', 'llmRequestCosts', i] });
    });
  }
  return out;
}

/** One rate-limit rule as a tenant limit, or why it does not map. */
function ruleLimit(
  rule: Raw,
  tenantHeader: string | undefined,
  costs: ReturnType<typeof costTypes>,
  use: (m: Manifest, path: (string | number)[]) => void,
): Omit<Limit, 'm' | 'path'> | string {
  if (rule.shadowMode === true) return 'a shadow-mode rule only counts';
  const selectors = list(rule.clientSelectors).map(obj);
  const sel = selectors[0];
  if (selectors.length !== 1 || !sel || Object.keys(sel).some((k) => k !== 'headers')) {
    return 'aigw limits tenants (and models); this rule selects clients by something else';
  }
  let tenant: string | undefined;
  let model: string | undefined;
  for (const h of list(sel.headers).map(obj)) {
    const name = String(h.name ?? '').toLowerCase();
    const type = h.type ?? 'Exact';
    if (h.invert === true) return 'an inverted match has no equivalent';
    if (tenantHeader && name === tenantHeader && type === 'Exact') tenant = String(h.value);
    else if (tenantHeader && name === tenantHeader && type === 'Distinct') tenant = '*';
    else if (name === MODEL_HEADER && type === 'Exact') model = String(h.value);
    else {
      return tenantHeader
        ? `it keys on ${name} (${String(type)}); aigw's tenants are who authenticated (${tenantHeader})`
        : `it keys on ${name}, a header the client sets; aigw's tenants are API keys (no SecurityPolicy apiKeyAuth among the files)`;
    }
  }
  if (!tenant) return 'no tenant selector: aigw has no limit shared by every client';
  const response = obj(obj(rule.cost).response);
  const request = obj(obj(rule.cost).request);
  let kind: 'tpm' | 'rpm' = 'rpm';
  if (response.from === 'Metadata') {
    const md = obj(response.metadata);
    const cost = costs.get(String(md.key));
    if (md.namespace !== COST_NAMESPACE || !cost) return `the cost ${String(md.key)} is not one of the route's llmRequestCosts`;
    if (cost.type !== 'TotalToken') return `a limit on ${cost.type} alone; aigw's tpm counts input + output tokens (TotalToken)`;
    use(cost.m, cost.path);
    kind = 'tpm';
  } else if (rule.cost !== undefined && !(request.from === 'Number' && (request.number ?? 1) === 1 && response.from === undefined)) {
    return 'a request cost other than 1 has no equivalent';
  }
  const limit = obj(rule.limit);
  const unitMs = getOwn(UNIT_MS, String(limit.unit));
  if (typeof limit.requests !== 'number' || !unitMs) return 'no limit';
  return { tenant, ...(model ? { model } : {}), kind, amount: limit.requests, unitMs, shared: rule.shared === true };
}

/**
 * A rule as the cluster counts it. Without `shared: true` Envoy Gateway keeps a bucket per route it generates (its xDS
 * translator prefixes the rule's descriptor with the route's name), and an AIGatewayRoute becomes one route per rule:
 * a rule on the client id alone is a limit on each model apart, not on the tenant across them — imported as one, a
 * tenant's 1,000 tpm over three models admitted a third of what the cluster does. A model's header matches are routes
 * of their own too, which aigw cannot count apart (said).
 *
 * A policy naming some of the routes' HTTPRoutes limits their models only: imported as a tenant's limit, a policy on
 * the premium route limited — and counted — every other model too, which the cluster leaves alone.
 */
function perRoute(ctx: ImportContext, rule: Limit, routes: ReadonlyMap<string, number>): Limit[] {
  let l = rule;
  if (l.model !== undefined && ctx.routedModels.has(l.model) && !routes.has(l.model)) {
    ctx.warn(l.m, l.path, `model ${l.model} is not routed by the routes this policy applies to: the cluster never applies this rule`);
    return [];
  }
  const partial = l.model === undefined && routes.size < ctx.routedModels.size;
  if (partial) {
    const names = [...routes.keys()];
    const shown = firstFew(names);
    if (names.length === 0) {
      ctx.warn(l.m, l.path, 'the routes this policy applies to route no imported model: not mapped');
      return [];
    }
    if (l.shared && names.length > 1) {
      ctx.warn(
        l.m,
        l.path,
        `shared by the routes this policy applies to, of models ${shown} only: aigw cannot count some models together, so it ` +
          `is imported as a limit on each of them (modelLimits) — up to ${names.length} times the cluster's across them`,
      );
    }
    if (l.shared || names.length > 1) {
      if (!l.shared) {
        ctx.warn(
          l.m,
          l.path,
          `not shared: Envoy Gateway counts this rule per route, each model's apart, so it is imported as a limit on each of ` +
            `the ${names.length} models of the routes this policy applies to (${shown})`,
        );
      }
      return names.map((model) => ({ ...l, model, shared: true }));
    }
    // One model under the policy: its own limit, not the tenant's (the other models are not limited).
    l = { ...l, model: names[0]! };
  }
  if (l.shared) return [l];
  if (l.model === undefined && routes.size > 1) {
    ctx.warn(
      l.m,
      l.path,
      `not shared: Envoy Gateway counts this rule per route, each model's apart, so it is imported as a limit on each of ` +
        `the ${routes.size} models (modelLimits), not one across them (set shared: true for a limit on the tenant)`,
    );
    return [...routes.keys()].map((model) => ({ ...l, model, shared: true }));
  }
  const model = l.model ?? [...routes.keys()][0];
  const n = model === undefined ? 0 : (routes.get(model) ?? 0);
  if (n > 1) {
    ctx.warn(
      l.m,
      l.path,
      `not shared: Envoy Gateway counts this rule per route, and model ${model} has ${n} (its header matches and its own ` +
        'rule), each with a bucket of its own; aigw counts the model once, so it admits less than the cluster',
    );
  }
  return [l];
}

/**
 * Each model a policy reaches, with how many of the routes generated for it do: every model (`routes` undefined), or
 * those of the routes it names. Kept per set of routes, and counted from those routes' own models: a scan of every
 * model per policy was quadratic in manifests that hold thousands of both.
 */
class Reach {
  private readonly byRoute = new Map<Manifest, Map<string, number>>();
  private readonly known = new Map<string, Map<string, number>>();
  private all?: Map<string, number>;

  constructor(private readonly ctx: ImportContext) {
    for (const [model, rs] of ctx.routedModels) {
      for (const r of rs) {
        let models = this.byRoute.get(r);
        if (!models) this.byRoute.set(r, (models = new Map()));
        models.set(model, (models.get(model) ?? 0) + 1);
      }
    }
  }

  of(routes: readonly Manifest[] | undefined): ReadonlyMap<string, number> {
    if (!routes) return (this.all ??= new Map([...this.ctx.routedModels].map(([model, rs]): [string, number] => [model, rs.length])));
    const set = [...new Set(routes)];
    const key = JSON.stringify(set.map((r) => [r.namespace, r.name]).sort());
    let reached = this.known.get(key);
    if (!reached) {
      reached = new Map();
      for (const r of set) for (const [model, n] of this.byRoute.get(r) ?? []) reached.set(model, (reached.get(model) ?? 0) + n);
      this.known.set(key, reached);
    }
    return reached;
  }
}

/**
 * The most tenant limits (a tenant's, or a tenant's on one model) the rate-limit rules may expand to. A rule not
 * `shared` is a limit on each model, a Distinct rule one on each tenant: one rule over a thousand models and a thousand
 * client ids (124 KB of manifests) was a million limits, built one by one (8.8 s, 1.4 GB) and then read back as a
 * profile — 6 minutes of a load that, at a reload, blocks the serving gateway. A cluster's hundreds of tenants on
 * dozens of models are thousands.
 */
export const MAX_TENANT_LIMITS = 100_000;

/** `tenants`: client id → its tenant's name. */
function importRateLimits(ctx: ImportContext, tenantHeader: string | undefined, tenants: ReadonlyMap<string, string>): void {
  const costs = costTypes(ctx);
  const limits: Limit[] = [];
  let expanded = 0;
  let reach: Reach | undefined;
  for (const btp of policiesFor(ctx, 'BackendTrafficPolicy')) {
    const rl = obj(obj(btp.value.spec).rateLimit);
    let routes: ReadonlyMap<string, number> | undefined;
    for (const scope of ['global', 'local'] as const) {
      for (const [i, r] of list(obj(rl[scope]).rules).entries()) {
        const path = ['spec', 'rateLimit', scope, 'rules', i];
        ctx.use(btp, path, ['spec', 'rateLimit', 'type']);
        const l = ruleLimit(obj(r), tenantHeader, costs, (m, p) => ctx.use(m, p));
        if (typeof l === 'string') {
          ctx.warn(btp, path, `not mapped: ${l}`);
          continue;
        }
        if (scope === 'local') ctx.warn(btp, path, 'a local limit counts per Envoy replica; aigw counts per gateway (or per Redis store)');
        reach ??= new Reach(ctx);
        routes ??= reach.of(routeScope(ctx, btp));
        const mapped = perRoute(ctx, { ...l, m: btp, path }, routes);
        // Counted before any is built: a Distinct rule is one limit per tenant.
        expanded += mapped.length * (l.tenant === '*' ? Math.max(1, tenants.size) : 1);
        if (expanded > MAX_TENANT_LIMITS) {
          ctx.refuse(
            btp,
            path,
            `the rate-limit rules expand to ${expanded.toLocaleString('en-US')} tenant limits (one per tenant and model a ` +
              `rule reaches): more than an import writes (${MAX_TENANT_LIMITS.toLocaleString('en-US')})`,
          );
          return;
        }
        limits.push(...mapped);
      }
    }
  }
  if (limits.length === 0) return;
  const preferred = limits.find((l) => l.unitMs <= 86_400_000)?.unitMs ?? 60_000;
  if (preferred !== 60_000) {
    ctx.set(['limits', 'rateWindow'], profileDuration(preferred), { m: limits[0]!.m, path: [...limits[0]!.path, 'limit', 'unit'] });
  }
  // One limit per tenant, model and kind in a profile: of several rules, the strictest (Envoy enforces them all). A
  // Distinct rule (every client id) is one of them for every tenant, those with a rule of their own too: given only to
  // the others, a tenant's own 1,000 rpm beside 100 for everyone imported at 1,000 where the cluster admits 100.
  const kept = new Map<string, { amount: number; l: Limit }>();
  for (const l of limits) {
    let amount = l.amount;
    if (l.unitMs !== preferred) {
      // Rounded up, never to 0: a limit of 0 would refuse every request where the cluster admits some.
      amount = Math.max(1, Math.ceil((l.amount * preferred) / l.unitMs));
      ctx.warn(l.m, [...l.path, 'limit'], `converted to ${amount} per ${profileDuration(preferred)} (aigw has one window for every limit)`);
    }
    const own = l.tenant === '*' ? undefined : tenants.get(l.tenant);
    if (l.tenant !== '*' && own === undefined) {
      ctx.warn(l.m, l.path, `client id ${l.tenant} is not a key in the apiKeyAuth Secrets among the files: not mapped`);
      continue;
    }
    const who = own === undefined ? [...tenants.values()] : [own];
    if (l.model && !Object.hasOwn(obj(ctx.profile.models), l.model)) {
      ctx.warn(l.m, l.path, `model ${l.model} is not among the imported models: not mapped`);
      continue;
    }
    for (const t of who) {
      const key = `${t}|${l.model ?? ''}|${l.kind}`;
      const before = kept.get(key);
      const what = `${l.kind} of tenant ${t}${l.model ? ` on model ${l.model}` : ''}`;
      if (before) {
        const [strict, loose] = amount < before.amount ? [{ amount, l }, before] : [before, { amount, l }];
        ctx.warn(
          loose.l.m,
          loose.l.path,
          `another rule also sets the ${what}: the profile keeps the strictest, ${strict.amount} per ${profileDuration(preferred)}`,
        );
        if (strict === before) continue;
      }
      kept.set(key, { amount, l });
      const at = l.model ? ['tenants', t, 'modelLimits', l.model, l.kind] : ['tenants', t, 'limits', l.kind];
      ctx.set(at, amount, { m: l.m, path: [...l.path, 'limit', 'requests'] });
    }
  }
  ctx.warn(
    limits[0]!.m,
    limits[0]!.path,
    'Envoy charges tokens after each answer in fixed windows; aigw reserves before admitting (sliding window), ' +
      'so it admits less than the cluster under bursts',
  );
}
