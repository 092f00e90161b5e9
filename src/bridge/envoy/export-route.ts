/**
 * The AIGatewayRoute: one rule per public model matching `x-ai-eg-model`, its targets as weighted
 * backendRefs at priority 0, each fallback model's targets at the next priority (aigw tries fallbacks in
 * order once every target failed before the first byte), `modelNameOverride` where the upstream name differs.
 */
import type { TargetConfig } from '../../profile/schema.js';
import { AIGW_API, GATEWAY_GROUP, MAX_HEADER_NAME, MAX_HEADER_VALUE, MAX_HEADERS, MODEL_HEADER } from './api.js';
import type { ExportContext, K8sObject } from './export-context.js';
import { formatGatewayDuration } from './k8s-units.js';

/** The llmRequestCosts key the token rate limits read (Envoy AI Gateway's documented name). */
export const TOTAL_TOKEN_KEY = 'llm_total_token';

/**
 * The largest weight a route may carry: the AIGatewayRoute's field is an int32, but the HTTPRoute its controller
 * generates holds Gateway API's backendRef weight, at most 1,000,000 — a larger one is refused there.
 */
const MAX_WEIGHT = 1_000_000;

/**
 * Whole weights up to MAX_WEIGHT stay as written, decimals are scaled by the smallest power of ten that makes them
 * whole (2.5/7.5 → 25/75); failing that, so the largest is 1,000,000 (the most the field takes), rounded (a weight above 0 never rounds to 0).
 * Returns the weights and whether rounding changed a ratio.
 */
export function integerWeights(weights: readonly number[]): { weights: number[]; rounded: boolean } {
  // Whole weights over the bound keep their ratio exactly when their common divisor brings them under it.
  if (weights.some((w) => w > MAX_WEIGHT) && weights.every(Number.isSafeInteger)) {
    const g = weights.reduce(gcd, 0);
    if (g > 1) weights = weights.map((w) => w / g);
  }
  for (const scale of [1, 10, 100, 1000, 10_000]) {
    const scaled = weights.map((w) => w * scale);
    if (scaled.every((w) => Math.abs(w - Math.round(w)) < 1e-9 && w <= MAX_WEIGHT))
      return { weights: scaled.map(Math.round), rounded: false };
  }
  // Rounded on the whole range the field takes: scaled to 1,000 instead, a canary of 0.5 beside 100,001 went out as
  // 1 of 1,001 — some 200 times its share.
  const max = Math.max(...weights);
  const out = weights.map((w) => (w > 0 ? Math.max(1, Math.round((w / max) * MAX_WEIGHT)) : 0));
  return { weights: out, rounded: true };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

interface Ref {
  target: TargetConfig;
  /** The public model whose targets these are (the upstream name defaults to it). */
  owner: string;
  priority: number;
}

/**
 * The most rules one AIGatewayRoute takes: its CRD's `spec.rules` maxItems (v1beta1 and v1alpha1 alike) — the
 * HTTPRoute generated from it holds Gateway API's 16, one kept for the controller's own. A profile of more models
 * (or of fewer with header matches, one rule each) exported as one route was refused whole by `kubectl apply`.
 */
export const MAX_ROUTE_RULES = 15;

type Rule = Record<string, unknown>;

/** The exported routes: a name and its rules each. */
interface RouteChunk {
  name: string;
  rules: Rule[];
}

const chunksOf = new WeakMap<ExportContext, readonly RouteChunk[]>();

/**
 * The AIGatewayRoutes' names, in order: the Gateway's own name, then `NAME-2`, `NAME-3`, … — each generates an
 * HTTPRoute of its name, which every policy on the routes must name.
 */
export function routeNames(ctx: ExportContext): string[] {
  return routeChunks(ctx).map((c) => c.name);
}

/**
 * The rules, at most MAX_ROUTE_RULES to a route, a model's rules kept in one route where they fit: Gateway API breaks a
 * tie between equally specific matches by route (creation time, then name) before the order of rules within one, so a
 * model's header matches spread over two routes may be tried in another order than the profile lists them (said).
 */
function routeChunks(ctx: ExportContext): readonly RouteChunk[] {
  const known = chunksOf.get(ctx);
  if (known) return known;
  const chunks: Rule[][] = [[]];
  for (const [model, group] of modelRules(ctx)) {
    let last = chunks.at(-1)!;
    if (last.length > 0 && last.length + group.length > MAX_ROUTE_RULES) chunks.push((last = []));
    for (const rule of group) {
      if (last.length === MAX_ROUTE_RULES) chunks.push((last = []));
      last.push(rule);
    }
    if (group.length > MAX_ROUTE_RULES) {
      ctx.warn(
        `models.${model}.match`,
        `${group.length} rules (its header matches and its own) are more than one AIGatewayRoute holds (${MAX_ROUTE_RULES}), so ` +
          'they are spread over several: where two matches with as many headers both apply, the cluster picks by route ' +
          '(the older, then the first by name), which need not be the order listed',
      );
    }
  }
  const gateway = ctx.opts.gateway;
  const out = chunks.map((rules, i) => ({ name: i === 0 ? gateway : `${gateway}-${i + 1}`, rules }));
  chunksOf.set(ctx, out);
  return out;
}

/** Each public model's rules: one per header match, then its own (the model alone). */
function modelRules(ctx: ExportContext): [string, Rule[]][] {
  const { profile: p } = ctx;
  const out: [string, Rule[]][] = [];
  for (const [name, m] of Object.entries(p.models)) {
    const rules: Rule[] = [];
    out.push([name, rules]);
    if (m.strategy !== 'weighted') {
      ctx.warn(`models.${name}.strategy`, `${m.strategy} cannot be expressed: the cluster picks among the targets by weight`);
    }
    m.targets.forEach((t, i) => {
      if (t.pricing) ctx.warn(`models.${name}.targets[${i}].pricing`, 'not exported: Envoy AI Gateway does not price tokens per target');
    });
    if (m.escalate) {
      // aigw sends a large prompt to another model before any target is chosen; the cluster never estimates a prompt.
      const to = [...new Set(m.escalate.map((e) => e.model))].join(', ');
      ctx.warn(
        `models.${name}.escalate`,
        `not exported: the cluster does not estimate prompts, so every request for ${name} goes to its own targets, ` + `never to ${to}`,
      );
    }
    m.fallbacks.forEach((f, k) => {
      // The plan falls back to the group the fallback's own match rules choose for this request (routing/plan.ts); a
      // rule's backendRefs can only name the fallback's default targets.
      if (p.models[f]?.match?.length) {
        ctx.warn(
          `models.${name}.fallbacks[${k}]`,
          `${f} routes requests by their headers or tenant (its match rules), but the cluster falls back to ${f}'s own ` +
            `targets for every request: one that aigw fails over to a match's targets goes to the others there`,
        );
      }
    });
    const fallbackRefs = (start: number): Ref[] =>
      m.fallbacks.flatMap((f, k) => (p.models[f]?.targets ?? []).map((target) => ({ target, owner: f, priority: start + k })));
    m.match?.forEach((rule, j) => {
      const path = `models.${name}.match[${j}]`;
      if (rule.when.tenant !== undefined) {
        ctx.warn(
          path,
          `the match on tenant "${rule.when.tenant}" is not exported (a route cannot see who authenticated): ` +
            `the cluster sends that tenant's requests to the model's own targets`,
        );
        return;
      }
      const empty = Object.keys(rule.when.headers ?? {}).find((h) => rule.when.headers![h] === '');
      if (empty !== undefined) {
        // A header match takes a value of at least one character (the CRD): written, kubectl refused the whole route.
        ctx.warn(
          path,
          `the match on an empty ${empty} cannot be expressed (the AIGatewayRoute's header match takes at least one character): ` +
            "not exported — the cluster sends those requests to the model's own targets",
        );
        return;
      }
      const past = pastRouteBounds(rule.when.headers ?? {});
      if (past) {
        ctx.warn(path, `${past}: not exported — the cluster sends those requests to the model's own targets`);
        return;
      }
      const shadowed = m.match!.findIndex(
        (before, i) => i < j && before.when.tenant === undefined && covers(rule.when.headers, before.when.headers),
      );
      if (shadowed >= 0) {
        ctx.warn(
          path,
          `the cluster tries matches with more headers first: a request matching this one and match[${shadowed}] goes here, ` +
            `where aigw sends it to match[${shadowed}]'s targets (put this match first to agree)`,
        );
      }
      const extra = Object.entries(rule.when.headers ?? {}).map(([h, v]) => ({ type: 'Exact', name: h, value: v }));
      rules.push(ruleFor(ctx, name, extra, [...rule.targets.map((target) => ({ target, owner: name, priority: 0 })), ...fallbackRefs(1)]));
    });
    rules.push(ruleFor(ctx, name, [], [...m.targets.map((target) => ({ target, owner: name, priority: 0 })), ...fallbackRefs(1)]));
  }
  return out;
}

export function routeObjects(ctx: ExportContext): K8sObject[] {
  const { opts } = ctx;
  const chunks = routeChunks(ctx);
  const costs = needsTokenCosts(ctx) ? { llmRequestCosts: [{ metadataKey: TOTAL_TOKEN_KEY, type: 'TotalToken' }] } : {};
  const comments: Record<string, string> = {
    'spec.rules':
      'One rule per public model. Fallback models are the next priority: Envoy moves there when the ' +
      'priority-0 backends are unhealthy or a retry exhausts numAttemptsPerPriority (see the BackendTrafficPolicy). ' +
      "timeouts.request 0s turns off Envoy AI Gateway's 60s deadline on the whole answer, which aigw does not have " +
      '(it bounds the wait for headers and each silence); streamIdleTimeout is timeouts.idle.',
  };
  if (costs.llmRequestCosts) {
    comments['spec.llmRequestCosts'] =
      'Input + output tokens of each answer, stored as dynamic metadata after the response: the token rate limits read it.';
  }
  return chunks.map((c, i) => ({
    value: {
      apiVersion: AIGW_API,
      kind: 'AIGatewayRoute',
      metadata: ctx.metadata(c.name),
      spec: { parentRefs: [{ name: opts.gateway, kind: 'Gateway', group: GATEWAY_GROUP }], rules: c.rules, ...costs },
    },
    comments,
    ...(chunks.length > 1
      ? { header: `Routes ${i + 1} of ${chunks.length}: an AIGatewayRoute holds at most ${MAX_ROUTE_RULES} rules.` }
      : {}),
  }));
}

function ruleFor(ctx: ExportContext, model: string, extraHeaders: object[], refs: Ref[]): Rule {
  // Weights only compare within a priority: each group is made whole on its own.
  const weights: number[] = [];
  for (const p of [...new Set(refs.map((r) => r.priority))]) {
    const group = refs.filter((r) => r.priority === p).map((r) => r.target.weight);
    const w = integerWeights(group);
    if (w.rounded) ctx.warn(`models.${model}`, `weights ${group.join('/')} rounded to ${w.weights.join('/')}`);
    weights.push(...w.weights);
  }
  const anyFallback = refs.some((r) => r.priority > 0);
  const backendRefs = refs.map((r, i) => {
    const upstream = r.target.model ?? r.owner;
    return {
      name: ctx.backendLabel.get(r.target.backend) ?? r.target.backend,
      weight: weights[i],
      ...(anyFallback ? { priority: r.priority } : {}),
      ...(upstream !== model ? { modelNameOverride: upstream } : {}),
    };
  });
  const t = ctx.profile.timeouts;
  return {
    matches: [{ headers: [{ type: 'Exact', name: MODEL_HEADER, value: model }, ...extraHeaders] }],
    backendRefs,
    timeouts: { request: '0s' },
    streamIdleTimeout: formatGatewayDuration(t.idle),
  };
}

/**
 * What of a match is past the AIGatewayRoute CRD's bounds on its headers (MAX_HEADERS, the model's own among them; names of
 * MAX_HEADER_NAME and values of MAX_HEADER_VALUE characters; each name once — a list-map keyed on the name, which the API server enforces and a JSON Schema
 * cannot say), else undefined. A profile's match may hold more, or name the model header: written as it was,
 * `kubectl apply` refused the whole route, every model of it.
 */
function pastRouteBounds(headers: Record<string, string>): string | undefined {
  const names = Object.keys(headers);
  const model = names.find((h) => h.toLowerCase() === MODEL_HEADER);
  if (model !== undefined) {
    return (
      `the match on ${model} cannot be expressed: the rule matches ${MODEL_HEADER} on the model already (a list-map keyed ` +
      "on the name: the CRD takes it once), and Envoy AI Gateway sets it from the body's model"
    );
  }
  if (names.length + 1 > MAX_HEADERS) {
    return `the match on ${names.length} headers cannot be expressed: a rule matches at most ${MAX_HEADERS}, ${MODEL_HEADER} among them`;
  }
  const longName = names.find((h) => h.length > MAX_HEADER_NAME);
  if (longName !== undefined) {
    return `the match on a header name of ${longName.length} characters cannot be expressed: the CRD takes at most ${MAX_HEADER_NAME}`;
  }
  const long = names.find((h) => headers[h]!.length > MAX_HEADER_VALUE);
  if (long !== undefined) {
    return `the match on ${long} cannot be expressed: its value is ${headers[long]!.length} characters, the CRD takes at most ${MAX_HEADER_VALUE}`;
  }
  return undefined;
}

function needsTokenCosts(ctx: ExportContext): boolean {
  return Object.values(ctx.profile.tenants ?? {}).some(
    (t) => t.limits?.tpm !== undefined || Object.values(t.modelLimits ?? {}).some((l) => l.tpm !== undefined),
  );
}

/** Whether `more` requires every header `fewer` does, and more of them: every request it matches, `fewer` matches. */
function covers(more: Record<string, string> | undefined, fewer: Record<string, string> | undefined): boolean {
  const m = Object.entries(more ?? {});
  const f = Object.entries(fewer ?? {});
  return m.length > f.length && f.every(([h, v]) => Object.hasOwn(more!, h) && more![h] === v);
}
