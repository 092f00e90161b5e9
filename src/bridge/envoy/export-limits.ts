/**
 * Tenant limits as Envoy Gateway global rate-limit rules keyed on the authenticated client id: TPM charged
 * from Envoy AI Gateway's token count after each answer (`cost.response.from: Metadata`), RPM one per request.
 */
import { formatGatewayDuration as formatDuration } from './k8s-units.js';
import { COST_NAMESPACE, MODEL_HEADER, TENANT_HEADER } from './api.js';
import type { ExportContext } from './export-context.js';
import { TOTAL_TOKEN_KEY } from './export-route.js';
import { clientIds } from './export-tenants.js';
import { firstFew } from '../../core/first-few.js';

const UNITS: [number, string][] = [
  [1000, 'Second'],
  [60_000, 'Minute'],
  [3_600_000, 'Hour'],
  [86_400_000, 'Day'],
];

type Rule = Record<string, unknown>;

/**
 * The most a rate-limit rule's `limit.requests` holds: the CRD declares it `format: int32` with a `maximum` of 2^32 − 1,
 * so the int32 bound is the one every reader of the manifest takes. A profile's tpm is any whole number, and one past
 * the maximum made `kubectl apply` refuse the whole BackendTrafficPolicy — every tenant's limits, the retries and the
 * ejection with it.
 */
export const MAX_RULE_REQUESTS = 2 ** 31 - 1;

/**
 * The most global rate-limit rules one BackendTrafficPolicy holds (the CRD's maxItems): two per tenant with tpm and rpm,
 * more with per-model limits. Past it `kubectl apply` refused the whole policy, and a second policy on the same routes
 * is not applied by Envoy Gateway (nor would it share the counters): the tenants whose rules do not fit are named.
 */
export const MAX_RATE_LIMIT_RULES = 256;

/*
 * Every rule is `shared: true`. Without it Envoy Gateway keeps a bucket per route it generates — one per AIGatewayRoute
 * rule, that is per model and per header match (its xDS translator prefixes each rule's descriptor with the route's
 * name) — so a tenant's 1,000 tpm was 1,000 on every model in the cluster, and a model limit one per header match.
 * Shared, the rule counts in one bucket across every route the policy targets, as aigw counts a tenant (and a model).
 */

export function rateLimitRules(ctx: ExportContext): Rule[] {
  const { profile: p } = ctx;
  const window = p.limits.rateWindow;
  const unit = UNITS.find(([ms]) => ms === window)?.[1];
  let converted = false;
  let tokens = false;
  const amount = (n: number, path: string): number => {
    let v = n;
    if (!unit) {
      v = Math.ceil((n * 60_000) / window);
      converted = true;
    }
    if (v < 1) {
      ctx.warn(path, `${n} cannot be expressed (a rate-limit rule allows at least 1): exported as 1, so the cluster admits a little`);
      v = 1;
    }
    if (v > MAX_RULE_REQUESTS) {
      ctx.warn(
        path,
        `${n}${v !== n ? ` (${v} a minute)` : ''} cannot be expressed (a rate-limit rule allows at most ${MAX_RULE_REQUESTS} ` +
          `per ${(unit ?? 'Minute').toLowerCase()}): exported as ${MAX_RULE_REQUESTS}, so the cluster admits less than aigw`,
      );
      v = MAX_RULE_REQUESTS;
    }
    return v;
  };
  const rules: Rule[] = [];
  let mine: Rule[] = [];
  const add = (tenant: string, model: string | undefined, l: { tpm?: number | undefined; rpm?: number | undefined }, path: string) => {
    const headers: Rule[] = [{ name: TENANT_HEADER, type: 'Exact', value: clientIds(ctx).get(tenant)!.id }];
    if (model) headers.push({ name: MODEL_HEADER, type: 'Exact', value: model });
    const limit = (n: number, at: string) => ({ requests: amount(n, at), unit: unit ?? 'Minute' });
    if (l.tpm !== undefined) {
      tokens = true;
      mine.push({
        clientSelectors: [{ headers }],
        limit: limit(l.tpm, `${path}.tpm`),
        cost: {
          request: { from: 'Number', number: 0 },
          response: { from: 'Metadata', metadata: { namespace: COST_NAMESPACE, key: TOTAL_TOKEN_KEY } },
        },
        shared: true,
      });
    }
    if (l.rpm !== undefined) mine.push({ clientSelectors: [{ headers }], limit: limit(l.rpm, `${path}.rpm`), shared: true });
  };
  const left: string[] = [];
  for (const [name, t] of Object.entries(p.tenants ?? {})) {
    if (t.keys.length === 0) {
      const lost = 'not exported: this tenant has no API key, the only identity the export knows';
      if (t.limits?.tpm !== undefined || t.limits?.rpm !== undefined) ctx.warn(`tenants.${name}.limits`, lost);
      // Its per-model limits are as lost: said of the tenant-wide ones only, they went without a word.
      for (const [m, l] of Object.entries(t.modelLimits ?? {})) {
        if (l.tpm !== undefined || l.rpm !== undefined) ctx.warn(`tenants.${name}.modelLimits.${m}`, lost);
      }
      continue;
    }
    mine = [];
    if (t.limits) add(name, undefined, t.limits, `tenants.${name}.limits`);
    for (const [m, l] of Object.entries(t.modelLimits ?? {})) add(name, m, l, `tenants.${name}.modelLimits.${m}`);
    // A tenant's rules go in whole or not at all: half of them would export a tenant limited on some models only.
    if (rules.length + mine.length <= MAX_RATE_LIMIT_RULES) rules.push(...mine);
    else if (mine.length) left.push(name);
  }
  if (left.length) {
    const named = firstFew(left, 10);
    ctx.warn(
      'tenants.*.limits',
      `a BackendTrafficPolicy holds at most ${MAX_RATE_LIMIT_RULES} rate-limit rules: the limits of ${left.length} ` +
        `tenant${left.length === 1 ? '' : 's'} (${named}) are not exported, so the cluster does not limit them`,
    );
  }
  if (converted) {
    ctx.warn(
      'limits.rateWindow',
      `${formatDuration(window)} is not a rate-limit unit (Second, Minute, Hour, Day): limits are exported per minute, scaled`,
    );
  }
  if (tokens) {
    ctx.warn(
      'tenants.*.limits.tpm',
      'Envoy AI Gateway charges tokens after each answer (a fixed window, nothing reserved): concurrent requests can overshoot ' +
        'the limit by their whole answers, where aigw reserves prompt + max_tokens before admitting',
    );
  }
  return rules;
}
