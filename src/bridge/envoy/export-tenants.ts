/**
 * Tenants in the cluster: Envoy Gateway's apiKeyAuth with one client id per tenant, keys in a Secret
 * (placeholders unless --include-secrets), and `forwardClientIDHeader` so the rate-limit rules can key on
 * who authenticated. What apiKeyAuth cannot say (allow-lists, concurrency, budgets, …) is a warning.
 */
import { EG_API, GATEWAY_GROUP, TENANT_HEADER } from './api.js';
import type { ExportContext, K8sObject } from './export-context.js';
import { routeNames } from './export-route.js';
import { FreeNames } from './free-names.js';
import { envVarFor } from './names.js';

/** A tenant's client id: a valid Secret data key (letters, digits, `-`, `_`, `.`). */
export function clientIdOf(tenant: string): string {
  return tenant.replace(/[^A-Za-z0-9._-]/g, '-');
}

/** An exported tenant's client id, and the variable a placeholder for its key names. */
export interface ClientId {
  id: string;
  variable: string;
}

const idsOf = new WeakMap<ExportContext, ReadonlyMap<string, ClientId>>();

/**
 * Each exported tenant's client id (those with keys) and key variable, its own: `team:a` and `team-a` both read
 * `team-a` as a Secret key, and the second's key replaced the first's in the one Secret — the first tenant's clients
 * got 401 in the cluster, and both tenants' rate limits keyed on the one id; `team.a` and `team-a` kept their ids but
 * shared the placeholder `${TENANT_TEAM_A_KEY}`, one key for two clients. A taken id or variable gets `-2` (`_2`), …
 */
export function clientIds(ctx: ExportContext): ReadonlyMap<string, ClientId> {
  const known = idsOf.get(ctx);
  if (known) return known;
  const out = new Map<string, ClientId>();
  const ids = new FreeNames((wanted, i) => `${wanted}-${i}`);
  const variables = new FreeNames((base, i) => `${base}_${i}`);
  for (const [name, t] of Object.entries(ctx.profile.tenants ?? {})) {
    if (t.keys.length === 0) continue;
    const wanted = clientIdOf(name);
    const id = ids.give(wanted);
    const variable = variables.give(envVarFor('tenant', id, 'key'));
    out.set(name, { id, variable });
    if (id !== wanted) {
      ctx.warn(
        `tenants.${name}`,
        `exported as client id ${id}: a client id holds letters, digits, -, _ and . only, and ${wanted} is another ` +
          `tenant's (imported back, this tenant is named ${id})`,
      );
    } else if (id !== name) {
      // The cluster forwards the id to backends and keys its limits on it: a tenant renamed unsaid came back from an
      // import as a tenant no one wrote.
      ctx.warn(
        `tenants.${name}`,
        `exported as client id ${id}: a client id holds letters, digits, -, _ and . only (the cluster names the tenant ${id} ` +
          `to backends and in its rate limits; imported back, this tenant is named ${id})`,
      );
    }
  }
  idsOf.set(ctx, out);
  return out;
}

export function tenantObjects(ctx: ExportContext): K8sObject[] {
  const { profile: p, opts } = ctx;
  const tenants = Object.entries(p.tenants ?? {});
  if (p.auth?.jwt) ctx.warn('auth.jwt', 'not exported: add a SecurityPolicy jwt provider; the export authenticates by API key only');
  const keys: Record<string, string> = {};
  for (const [name, t] of tenants) {
    const at = `tenants.${name}`;
    if (t.models) {
      ctx.warn(`${at}.models`, `the allow-list is not exported: in the cluster ${name} can use every model`);
    }
    if (t.limits?.concurrency !== undefined) {
      ctx.warn(
        `${at}.limits.concurrency`,
        `${t.limits.concurrency} cannot be expressed (Envoy has no per-client concurrency limit): ` +
          'the cluster admits any number of simultaneous requests',
      );
    }
    if (t.limits?.budget)
      ctx.warn(`${at}.limits.budget`, 'not exported: Envoy AI Gateway has no spend budget; the cluster does not stop on cost');
    for (const [m, l] of Object.entries(t.modelLimits ?? {})) {
      if (l.concurrency !== undefined)
        ctx.warn(`${at}.modelLimits.${m}.concurrency`, 'cannot be expressed: no per-client concurrency limit');
    }
    if (t.mtls) ctx.warn(`${at}.mtls`, 'not exported: the export identifies tenants by API key only');
    if (t.keys.length === 0) continue;
    const { id, variable } = clientIds(ctx).get(name)!;
    if (t.keys.length > 1) {
      ctx.warn(
        `${at}.keys`,
        `${t.keys.length} keys, but apiKeyAuth keeps one key per client id: ` +
          'only the first is exported, the others are refused by the cluster',
      );
    }
    const key = t.keys[0]!;
    if (key.startsWith('sha256:')) {
      ctx.warn(
        `${at}.keys[0]`,
        'a sha256: digest cannot be exported (apiKeyAuth compares the plain key): the Secret holds a placeholder to replace',
      );
      keys[id] = ctx.placeholder(variable);
    } else {
      keys[id] = ctx.secretValue(key, ['tenants', name, 'keys', 0], variable);
    }
  }
  if (Object.keys(keys).length === 0) return tenants.length ? [denyAll(ctx)] : [];
  const secret = `${opts.gateway}-tenant-keys`;
  return [
    {
      value: {
        apiVersion: EG_API,
        kind: 'SecurityPolicy',
        metadata: ctx.metadata(`${opts.gateway}-tenants`),
        spec: {
          targetRefs: routeNames(ctx).map((name) => ({ group: GATEWAY_GROUP, kind: 'HTTPRoute', name })),
          apiKeyAuth: {
            credentialRefs: [{ group: '', kind: 'Secret', name: secret }],
            extractFrom: [{ headers: ['authorization'] }, { headers: ['api-key'] }, { headers: ['x-api-key'] }],
            forwardClientIDHeader: TENANT_HEADER,
            sanitize: true,
          },
        },
      },
      comments: {
        'spec.targetRefs': 'The HTTPRoute that Envoy AI Gateway generates from the AIGatewayRoute carries its name.',
        'spec.apiKeyAuth.forwardClientIDHeader': `The tenant's name goes upstream in ${TENANT_HEADER}: the token rate limits key on it.`,
        'spec.apiKeyAuth.sanitize': "The client's key never reaches a backend (as in aigw).",
      },
    },
    {
      value: { apiVersion: 'v1', kind: 'Secret', metadata: ctx.metadata(secret), type: 'Opaque', stringData: keys },
      comments: {
        stringData: ctx.opts.includeSecrets
          ? 'Client id (the tenant) → its API key, real values (--include-secrets): keep this file out of version control.'
          : 'Client id (the tenant) → its API key, as placeholders: fill them in (envsubst) or create the Secret yourself.',
      },
    },
  ];
}

/**
 * Tenants but no key to ask for (reached by auth.jwt or mtls, which the export does not express): aigw answers 401 to a
 * client without credentials, and with no SecurityPolicy the cluster let anyone in on the backends' keys. It fails
 * closed instead, as import never turns a checking cluster into an open profile.
 */
function denyAll(ctx: ExportContext): K8sObject {
  ctx.warn(
    'tenants',
    'no tenant has an API key, and the export authenticates by API key only: the SecurityPolicy denies every request ' +
      '(authorization defaultAction Deny) until you add a jwt provider or keys — without it the cluster would let anyone in',
  );
  return {
    value: {
      apiVersion: EG_API,
      kind: 'SecurityPolicy',
      metadata: ctx.metadata(`${ctx.opts.gateway}-tenants`),
      spec: {
        targetRefs: routeNames(ctx).map((name) => ({ group: GATEWAY_GROUP, kind: 'HTTPRoute', name })),
        authorization: { defaultAction: 'Deny' },
      },
    },
    comments: {
      'spec.authorization':
        "The profile's tenants sign in by JWT or client certificate, which this export does not write: every request is " +
        'denied (403) until a jwt provider replaces this, rather than let in without credentials.',
    },
  };
}
