/**
 * AIServiceBackend (+ its Backend, BackendTLSPolicy, BackendSecurityPolicy and Secret) → `backends.NAME`:
 * the URL from the endpoint (https when a TLS policy applies), the kind from the schema, the key as `${VAR}` —
 * named after the Secret (`_2`, `_3`, … when another credential has that name: each Secret its own variable), or
 * taken from it when it is itself an envsubst `${VAR}`. Secret values are never copied.
 */
import { trimEndRun, trimStartRun } from '../../core/trim-run.js';
import { getOwn, isReservedName, setOwn } from '../../profile/own-keys.js';
import { credentialHeaderOf } from '../../profile/checks.js';
import { formatPath } from '../../profile/problems.js';
import type { BackendConfig } from '../../profile/schema.js';
import { EG_GROUP } from './api.js';
import { type ImportContext, type Raw, shown } from './import-context.js';
import type { Manifest } from './manifests.js';
import { envVarFor, wholeEnvRef } from './names.js';

const KINDS: Record<string, string> = { OpenAI: 'openai', Anthropic: 'anthropic', AzureOpenAI: 'azure-openai' };
const KEY_TYPES: Record<string, string> = { APIKey: 'apiKey', AnthropicAPIKey: 'anthropicAPIKey', AzureAPIKey: 'azureAPIKey' };
/** The header each key type injects, whatever the backend's schema (the CRD's descriptions). */
const KEY_HEADERS: Record<string, string> = { APIKey: 'authorization', AnthropicAPIKey: 'x-api-key', AzureAPIKey: 'api-key' };

type BackendKind = BackendConfig['kind'];

const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Why a name that every JavaScript object already has a property of is not imported (`outcome`: what follows). */
export function reservedMessage(what: string, name: string, outcome = 'not imported'): string {
  return `${what} name "${name}" is reserved (a built-in property of JavaScript objects, like __proto__ and toString): ${outcome} — rename it`;
}

/** Imports every AIServiceBackend it can; returns `namespace/name` → the profile's backend name. */
export function importBackends(ctx: ImportContext): Map<string, string> {
  const names = new Map<string, string>();
  const all = ctx.ofKind('AIServiceBackend');
  // Names used in more than one namespace: those backends are named namespace/name.
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const asb of all) (seen.has(asb.name) ? repeated : seen).add(asb.name);
  for (const asb of all) {
    const spec = obj(asb.value.spec);
    const schemaName = str(obj(spec.schema).name) ?? 'OpenAI';
    const kind = getOwn(KINDS, schemaName);
    if (!kind) {
      ctx.warn(
        asb,
        ['spec', 'schema', 'name'],
        `schema ${schemaName} is not an API aigw speaks (OpenAI, Anthropic, AzureOpenAI): backend skipped`,
      );
      ctx.skip(asb, `schema ${schemaName} is not supported`);
      ctx.use(asb, ['spec']);
      continue;
    }
    if (isReservedName(asb.name)) {
      ctx.warn(asb, ['metadata', 'name'], reservedMessage('backend', asb.name));
      ctx.skip(asb, `the name ${asb.name} is reserved`);
      ctx.use(asb, ['spec']);
      continue;
    }
    const ref = obj(spec.backendRef);
    if (ref.kind !== 'Backend' || ref.group !== EG_GROUP) {
      // The CRD's CEL rule takes an Envoy Gateway Backend only (a ref naming no kind is a Service by its default): the
      // API server refuses any other, so the cluster routes nothing here — read, aigw served what the cluster cannot.
      ctx.warn(
        asb,
        ['spec', 'backendRef'],
        `a backendRef to ${shown(str(ref.kind) ?? 'Service')} is refused by the cluster (the CRD takes an Envoy Gateway ` +
          `Backend only: kind Backend, group ${EG_GROUP}), so this backend is skipped and routes to it are dropped`,
      );
      ctx.skip(asb, 'its backendRef is not an Envoy Gateway Backend (the CRD refuses it)');
      ctx.use(asb, ['spec']);
      continue;
    }
    const name = repeated.has(asb.name) ? `${asb.namespace}/${asb.name}` : asb.name;
    const at = ['backends', name];
    const url = urlOf(ctx, asb, kind);
    if (url === undefined) {
      ctx.skip(asb, 'no usable endpoint');
      continue;
    }
    if (url.variable) ctx.setVariable([...at, 'url'], url.variable, url.from, undefined, url.path);
    else ctx.set([...at, 'url'], url.url, url.from);
    ctx.origin.set(`backends.${name}`, asb.at([]));
    if (kind !== 'openai') ctx.set([...at, 'kind'], kind, { m: asb, path: ['spec', 'schema', 'name'] });
    else ctx.use(asb, ['spec', 'schema', 'name']);
    if (kind === 'azure-openai' && str(obj(spec.schema).version)) {
      ctx.set([...at, 'apiVersion'], obj(spec.schema).version, { m: asb, path: ['spec', 'schema', 'version'] });
    }
    const set = obj(spec.headerMutation).set;
    if (Array.isArray(set) && set.length) {
      const headers: Record<string, string> = {};
      set.forEach((h, i) => {
        if (str(obj(h).name) && typeof obj(h).value === 'string') {
          setOwn(headers, obj(h).name as string, obj(h).value as string);
          ctx.use(asb, ['spec', 'headerMutation', 'set', i]);
        }
      });
      ctx.set([...at, 'headers'], headers, { m: asb, path: ['spec', 'headerMutation', 'set'] });
    }
    ctx.use(asb, ['spec', 'backendRef']);
    importKey(ctx, asb, name, kind as BackendKind);
    names.set(`${asb.namespace}/${asb.name}`, name);
  }
  return names;
}

function urlOf(
  ctx: ImportContext,
  asb: Manifest,
  kind: string,
): { url: string; variable?: string; path?: string; from: { m: Manifest; path: (string | number)[] } } | undefined {
  const spec = obj(asb.value.spec);
  const ref = obj(spec.backendRef);
  const refName = str(ref.name) ?? '';
  const ns = str(ref.namespace) ?? asb.namespace;
  const prefix = pathFromPrefix(ctx, asb, kind);
  const backend = ctx.find('Backend', refName, ns);
  if (!backend) {
    const v = ctx.variableFor(['Backend', ns, refName, 'url'], envVarFor('backend', refName, 'url'));
    // The prefix's path goes after the variable: dropped, aigw called `${URL}/v1/…` where the cluster calls `{Backend}/openai/v1/…`.
    ctx.warn(
      asb,
      ['spec', 'backendRef', 'name'],
      prefix
        ? `Backend ${ns}/${refName} is not among the files: the Backend's address (scheme://host:port) is read from \${${v}}, followed by ${prefix} (the schema prefix's path)`
        : `Backend ${ns}/${refName} is not among the files: the URL is read from \${${v}}`,
    );
    return { url: `\${${v}}${prefix}`, variable: v, path: prefix, from: { m: asb, path: ['spec', 'backendRef'] } };
  }
  const bspec = obj(backend.value.spec);
  const endpoints = Array.isArray(bspec.endpoints) ? bspec.endpoints : [];
  if (endpoints.length > 1) ctx.warn(backend, ['spec', 'endpoints'], `${endpoints.length} endpoints: aigw sends to the first one only`);
  const e = obj(endpoints[0]);
  const addr = e.fqdn ? obj(e.fqdn) : e.ip ? obj(e.ip) : undefined;
  const host = str(addr?.hostname) ?? str(addr?.address);
  if (!addr || !host) {
    ctx.warn(backend, ['spec', 'endpoints'], 'no fqdn or ip endpoint (unix sockets are not supported): backend skipped');
    return undefined;
  }
  ctx.use(backend, ['spec', 'endpoints']);
  const tlsPolicy = ctx.targeting('BackendTLSPolicy', 'Backend', backend.name, backend.namespace)[0];
  const tls = tlsPolicy !== undefined || bspec.tls !== undefined;
  if (tlsPolicy) ctx.use(tlsPolicy, ['spec']);
  if (bspec.tls) ctx.use(backend, ['spec', 'tls']);
  if (tls) tlsWarnings(ctx, backend, tlsPolicy, host);
  const port = typeof addr.port === 'number' && addr.port >= 0 ? addr.port : tls ? 443 : 80;
  const h = host.includes(':') ? `[${host}]` : host;
  return { url: `${tls ? 'https' : 'http'}://${h}:${port}${prefix}`, from: { m: backend, path: ['spec', 'endpoints', 0] } };
}

/**
 * What the cluster checks of a backend's certificate that aigw does not: aigw connects to the URL's host and verifies
 * it against the system CAs, by that name. Read in silence, a policy's own CA or name (an endpoint by IP, verified as
 * `api.internal`) made every request to the backend fail in aigw that the cluster sends, and a Backend's
 * insecureSkipVerify made aigw refuse a certificate the cluster takes.
 */
function tlsWarnings(ctx: ImportContext, backend: Manifest, policy: Manifest | undefined, host: string): void {
  const fails = "aigw verifies the URL's host against the system CAs, so requests to this backend may fail in aigw";
  const tls = obj(obj(backend.value.spec).tls);
  if (tls.insecureSkipVerify === true) {
    ctx.warn(backend, ['spec', 'tls', 'insecureSkipVerify'], `the cluster does not verify this backend's certificate; ${fails}`);
  }
  if (tls.caCertificateRefs !== undefined) {
    ctx.warn(backend, ['spec', 'tls', 'caCertificateRefs'], `the cluster trusts the CA named here; ${fails} (not imported)`);
  }
  if (typeof tls.sni === 'string' && tls.sni.toLowerCase() !== host.toLowerCase()) {
    ctx.warn(backend, ['spec', 'tls', 'sni'], `the cluster sends SNI ${shown(tls.sni)}, aigw the URL's host ${shown(host)}`);
  }
  if (!policy) return;
  const v = obj(obj(policy.value.spec).validation);
  if (v.caCertificateRefs !== undefined) {
    ctx.warn(policy, ['spec', 'validation', 'caCertificateRefs'], `the cluster trusts the CA named here; ${fails} (not imported)`);
  }
  if (v.subjectAltNames !== undefined) {
    ctx.warn(policy, ['spec', 'validation', 'subjectAltNames'], `the cluster accepts these names in the certificate; ${fails}`);
  } else if (typeof v.hostname === 'string' && v.hostname.toLowerCase() !== host.toLowerCase()) {
    ctx.warn(
      policy,
      ['spec', 'validation', 'hostname'],
      `the cluster sends SNI ${shown(v.hostname)} and verifies the certificate for it; aigw connects to ${shown(host)} and ` +
        'verifies that name, so requests to this backend may fail in aigw',
    );
  }
}

/** aigw appends `/v1/...` to a backend's URL: a schema prefix ending in /v1 becomes the URL's path. */
function pathFromPrefix(ctx: ImportContext, asb: Manifest, kind: string): string {
  const prefix = str(obj(obj(asb.value.spec).schema).prefix);
  if (prefix === undefined) return '';
  ctx.use(asb, ['spec', 'schema', 'prefix']);
  const p = `/${trimStartRun(trimEndRun(prefix, '/'), '/')}`;
  if (p === '/v1') return '';
  if (p.endsWith('/v1')) return p.slice(0, -3);
  ctx.warn(
    asb,
    ['spec', 'schema', 'prefix'],
    `prefix ${prefix} does not end in /v1: aigw would call ${p}/v1/${kind === 'anthropic' ? 'messages' : 'chat/completions'}, not ${p}/…`,
  );
  return p;
}

function importKey(ctx: ImportContext, asb: Manifest, name: string, kind: BackendKind): void {
  for (const bsp of ctx.targeting('BackendSecurityPolicy', 'AIServiceBackend', asb.name, asb.namespace)) {
    const spec = obj(bsp.value.spec);
    const type = str(spec.type) ?? '';
    const field = getOwn(KEY_TYPES, type);
    ctx.use(bsp, ['spec', 'targetRefs'], ['spec', 'type']);
    if (!field) {
      ctx.warn(bsp, ['spec', 'type'], `credentials of type ${type} are not supported: the backend gets no key from aigw`);
      ctx.use(bsp, ['spec']);
      continue;
    }
    const ref = obj(obj(spec[field]).secretRef);
    const secretName = str(ref.name) ?? '';
    const secretNamespace = str(ref.namespace) ?? bsp.namespace;
    const secret = ctx.find('Secret', secretName, secretNamespace);
    const value = secret ? secretValue(secret, 'apiKey') : undefined;
    const named = value !== undefined ? wholeEnvRef(value) : undefined;
    // Named after the Secret, but each Secret its own: `openai.key` and `openai-key`, or one name in two
    // namespaces, must not read one variable (one backend's key would go to the other's host).
    const wanted = envVarFor(secretName);
    const variable = named ?? ctx.variableFor(['Secret', secretNamespace, secretName, 'apiKey'], wanted);
    if (variable !== named && variable !== wanted) {
      ctx.warn(
        bsp,
        ['spec', field, 'secretRef'],
        `\${${wanted}} already stands for another credential: the key of Secret ${secretNamespace}/${secretName} is read from \${${variable}}`,
      );
    }
    if (secret) {
      ctx.use(secret, []);
      // Envoy AI Gateway reads the key `apiKey` and nothing else: a Secret holding `api-key` leaves the backend keyless.
      if (value === undefined) {
        ctx.warn(
          secret,
          [],
          `the Secret has no key named apiKey, the only one Envoy AI Gateway reads: the cluster sends this backend no key`,
        );
      } else if (!named) {
        ctx.warn(secret, ['stringData'], `the key is not copied into the profile: set \${${variable}} in the environment`);
      }
    }
    // The type names the header, not the schema: an APIKey policy on an Anthropic backend (vLLM's /v1/messages behind
    // --api-key) sends `Authorization: Bearer`, where aigw sends an anthropic backend's apiKey as x-api-key.
    const header = getOwn(KEY_HEADERS, type)!;
    if (header === credentialHeaderOf(kind)) {
      ctx.setVariable(['backends', name, 'apiKey'], variable, { m: bsp, path: ['spec', field] });
      continue;
    }
    const at = ['backends', name, 'headers', header];
    ctx.set(at, header === 'authorization' ? `Bearer \${${variable}}` : `\${${variable}}`, { m: bsp, path: ['spec', field] });
    ctx.variables.add(formatPath(at));
    ctx.warn(
      bsp,
      ['spec', 'type'],
      `${type} sends the key in ${header === 'authorization' ? 'Authorization: Bearer' : header}, not in the ` +
        `${credentialHeaderOf(kind)} a ${kind} backend's apiKey goes in: imported as backends.${name}.headers.${header}`,
    );
  }
}

/** A Secret's value for a key, from stringData or (base64) data. */
export function secretValue(secret: Manifest, key: string): string | undefined {
  const s = obj(secret.value.stringData)[key];
  if (typeof s === 'string') return s;
  const d = obj(secret.value.data)[key];
  return typeof d === 'string' ? Buffer.from(d, 'base64').toString('utf8') : undefined;
}

/** Every key a Secret holds (stringData and data). */
export function secretKeys(secret: Manifest): string[] {
  return [...new Set([...Object.keys(obj(secret.value.stringData)), ...Object.keys(obj(secret.value.data))])];
}
