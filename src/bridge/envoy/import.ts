/**
 * `aigw import envoy`: Envoy AI Gateway / Envoy Gateway / Gateway API manifests → an aigw profile (plain
 * values, as a profile file holds them, `${VAR}` for every credential), where each profile key came from,
 * a warning for everything that does not map, and the objects aigw does not read, listed as skipped.
 */
import { referable } from '../../core/env-refs.js';
import { getOwn } from '../../profile/own-keys.js';
import { formatPath, type KeyPath, type ProfileProblem } from '../../profile/problems.js';
import { AliasBudget } from '../../profile/yaml-aliases.js';
import { SERVED_VERSIONS, SPEC_KEYS } from './api.js';
import { importBackends } from './import-backends.js';
import { ImportContext, type Raw, type Skipped, shown } from './import-context.js';
import { importRoutes } from './import-routes.js';
import { importTenants } from './import-tenants.js';
import { gatewaysOf } from './import-policies.js';
import { importBuffer, importConnectionLimit, importResilience, importTimeouts } from './import-traffic.js';
import { type Manifest, readManifests, type SourcePos } from './manifests.js';

export type { Skipped } from './import-context.js';

export interface ImportResult {
  /** The profile as plain values (sizes and durations as text, credentials as `${VAR}`). */
  profile: Raw;
  /** Profile key path → the manifest key it came from. */
  origin: Map<string, SourcePos>;
  warnings: ProfileProblem[];
  skipped: Skipped[];
  /** Unreadable input (YAML syntax, nothing to import): no profile worth using. */
  problems: ProfileProblem[];
}

/** Kinds whose spec the importer reads (and whose unread keys it reports). */
const READ = [
  'AIGatewayRoute',
  'AIServiceBackend',
  'Backend',
  'BackendSecurityPolicy',
  'BackendTrafficPolicy',
  'ClientTrafficPolicy',
  'SecurityPolicy',
];
/** Kinds that never configure aigw. */
const NOT_READ: Record<string, string> = {
  EnvoyProxy: 'Envoy infrastructure (the proxy deployment)',
  Deployment: 'a workload: aigw runs no pods (--mock-all stands in for backends)',
  Service: 'a workload address (an AIServiceBackend points at an Envoy Gateway Backend, never at a Service)',
  ConfigMap: 'workload data',
  HTTPRoute: 'plain HTTP routing: aigw routes AI traffic by model only',
  QuotaPolicy: 'quotas have no aigw equivalent yet',
};

export function importEnvoy(inputs: readonly { file: string; text: string }[]): ImportResult {
  const problems: ProfileProblem[] = [];
  // One alias budget for the whole import: per file, a directory of files each under it exhausted the heap.
  const budget = new AliasBudget();
  const manifests = inputs.flatMap(({ file, text }) => {
    const r = readManifests(text, file, budget);
    for (const p of r.problems) problems.push({ severity: 'error', ...p.pos, path: '', message: p.message });
    return r.manifests;
  });
  if (problems.length) return { profile: { version: 1 }, origin: new Map(), warnings: [], skipped: [], problems };
  return importManifests(manifests, inputs[0]?.file ?? '-');
}

/** The import of manifests already read (`file`: where to point when there are none). */
export function importManifests(given: readonly Manifest[], file = '-'): ImportResult {
  // An object of an apiVersion its kind is not served at never reaches the cluster (kubectl apply refuses it alone): read,
  // a ClientTrafficPolicy at `gateway.envoyproxy.io/v1` set a 50Mi buffer the cluster never had (it keeps 32Ki).
  const unserved = new Set(
    given.filter((m) => {
      const served = getOwn(SERVED_VERSIONS, m.kind);
      return served !== undefined && !served.includes(m.apiVersion);
    }),
  );
  const manifests = unserved.size ? given.filter((m) => !unserved.has(m)) : given;
  const ctx = new ImportContext(manifests);
  for (const m of unserved) {
    const served = SERVED_VERSIONS[m.kind]!.join(' or ');
    ctx.warn(
      m,
      ['apiVersion'],
      `${shown(m.apiVersion)} is not served for ${m.kind} (the cluster serves ${served}): kubectl apply refuses this object ` +
        'and the cluster runs without it, so it is not read',
    );
    ctx.skip(m, `apiVersion ${m.apiVersion} is not served for ${m.kind} (${served})`);
  }
  // With nothing to import, what was not read (an unserved route) is still said: it is why.
  const empty = { profile: ctx.profile, origin: ctx.origin, warnings: ctx.warnings, skipped: ctx.skipped };
  if (!manifests.some((m) => m.kind === 'AIGatewayRoute' || m.kind === 'AIServiceBackend')) {
    const where = manifests[0] ?? { file, at: () => ({ file, line: 1, col: 1 }) };
    return {
      ...empty,
      problems: [
        {
          severity: 'error',
          ...where.at([]),
          path: '',
          message: 'no AIGatewayRoute or AIServiceBackend among the files: nothing to import',
        },
      ],
    };
  }
  const backends = importBackends(ctx);
  const timing = importRoutes(ctx, backends);
  importBuffer(ctx);
  importConnectionLimit(ctx);
  importTimeouts(ctx, timing);
  importResilience(ctx);
  importTenants(ctx);
  for (const g of gatewaysOf(ctx)) {
    const gw = ctx.find('Gateway', g.name, g.namespace);
    if (!gw) continue;
    ctx.use(gw, []);
    const cls = ctx.find('GatewayClass', String((gw.value.spec as Raw | undefined)?.gatewayClassName), gw.namespace);
    const anyClass = cls ?? ctx.ofKind('GatewayClass').find((c) => c.name === (gw.value.spec as Raw | undefined)?.gatewayClassName);
    if (anyClass) ctx.use(anyClass, []);
  }
  ctx.reportUnread(
    manifests.filter((m) => READ.includes(m.kind) && ctx.touched.has(m)),
    SPEC_KEYS,
  );
  for (const m of manifests) {
    if (ctx.touched.has(m) || ctx.skippedManifests.has(m)) continue;
    ctx.skip(
      m,
      getOwn(NOT_READ, m.kind) ??
        (READ.includes(m.kind) || m.kind === 'Secret' || m.kind === 'BackendTLSPolicy'
          ? 'refers to nothing imported'
          : `aigw does not read ${m.kind}`),
    );
  }
  ctx.profile.backends ??= {};
  ctx.profile.models ??= {};
  return {
    profile: ordered(ctx.profile),
    origin: ctx.origin,
    warnings: ctx.warnings,
    skipped: ctx.skipped,
    problems: [...ctx.errors, ...literalVariables(ctx)],
  };
}

const VAR_RE = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}/;

/**
 * `${VAR}` that the manifests hold as text (a modelNameOverride, a header value, a hostname): Envoy sends it as
 * written, but the profile would fill it in from aigw's environment — and send the operator's values to a backend.
 * The profile has no escape for `$`, so each is a problem at the manifest key it came from.
 */
function literalVariables(ctx: ImportContext): ProfileProblem[] {
  const out: ProfileProblem[] = [];
  const fallback = ctx.manifests[0]?.at([]) ?? { file: '-', line: 1, col: 1 };
  const walk = (v: unknown, path: KeyPath) => {
    if (typeof v === 'string') {
      const p = formatPath(path);
      const hit = VAR_RE.exec(referable(v));
      if (!hit || ctx.variables.has(p)) return;
      let pos = fallback;
      for (let q = path; q.length; q = q.slice(0, -1)) {
        const at = ctx.origin.get(formatPath(q));
        if (at) {
          pos = at;
          break;
        }
      }
      out.push({
        severity: 'error',
        ...pos,
        path: p,
        message:
          `${shown(v)}: Envoy sends ${hit[0]} as written, but an aigw profile reads it from the environment ` +
          '(and would send its value upstream), and has no way to write it literally: write the value out in the manifest',
      });
    } else if (Array.isArray(v)) for (const [i, x] of v.entries()) walk(x, [...path, i]);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(ctx.profile, []);
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

/** The profile's keys in the order the contract documents them. */
function ordered(p: Raw): Raw {
  const out: Raw = {};
  for (const k of ['version', 'listen', 'admin', 'limits', 'timeouts', 'resilience', 'backends', 'models', 'tenants']) {
    if (p[k] !== undefined) out[k] = p[k];
  }
  for (const [k, v] of Object.entries(p)) if (!(k in out)) out[k] = v;
  return out;
}
