/**
 * Per backend: an AIServiceBackend (the API it speaks), a Backend (where it is), a BackendTLSPolicy for https
 * (at an IP address, the Backend's own tls), and for an apiKey a BackendSecurityPolicy reading a Secret —
 * written as a `${VAR}` placeholder unless --include-secrets. Credential headers (authorization, api-key,
 * x-api-key, and any value read from `${VAR}`) are placeholders too: the AIServiceBackend's headerMutation has
 * no Secret reference.
 */
import { trimEndRun } from '../../core/trim-run.js';
import { isIP } from 'node:net';
import { referable } from '../../core/env-refs.js';
import { isLoopbackHost } from '../../profile/hosts.js';
import type { BackendConfig } from '../../profile/schema.js';
import { isCredentialHeader } from '../../profile/secrets.js';
import { AIGW_API, AIGW_GROUP, EG_API, EG_GROUP, GATEWAY_API, MAX_HEADER_NAME, MAX_HEADER_VALUE, MAX_HEADERS } from './api.js';
import { ENV_REF, type ExportContext, type K8sObject } from './export-context.js';
import { envVarFor } from './names.js';

const SCHEMA: Record<BackendConfig['kind'], string> = { openai: 'OpenAI', anthropic: 'Anthropic', 'azure-openai': 'AzureOpenAI' };

const KEY_POLICY: Record<BackendConfig['kind'], { type: string; field: string }> = {
  openai: { type: 'APIKey', field: 'apiKey' },
  anthropic: { type: 'AnthropicAPIKey', field: 'anthropicAPIKey' },
  'azure-openai': { type: 'AzureAPIKey', field: 'azureAPIKey' },
};

export function backendObjects(ctx: ExportContext): K8sObject[] {
  const out: K8sObject[] = [];
  for (const [name, b] of Object.entries(ctx.profile.backends)) {
    const label = ctx.backendLabel.get(name)!;
    const url = new URL(b.url);
    // An absolute name's trailing dot names the same host, and the Backend and TLS policy patterns refuse it.
    const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
    const tls = url.protocol === 'https:';
    const port = Number(url.port || (tls ? 443 : 80));
    const path = trimEndRun(url.pathname, '/');
    const where = `backends.${name}`;
    if (isLoopbackHost(host)) {
      ctx.warn(
        `${where}.url`,
        `${b.url} is this machine${b.mock ? ' (a mock)' : ''}: in the cluster it is the Envoy pod itself; ` +
          'point the Backend at the real service',
      );
    }
    if (b.forwardIdentity) ctx.warn(`${where}.forwardIdentity`, 'not exported: the cluster does not tell the backend who is calling');
    if (b.kind === 'anthropic' && ctx.written('backends', name, 'anthropicVersion')) {
      ctx.warn(`${where}.anthropicVersion`, 'not exported: Envoy AI Gateway sends its own anthropic-version');
    }
    if (b.kind === 'azure-openai' && b.deployment) {
      ctx.warn(
        `${where}.deployment`,
        "not exported: Envoy AI Gateway uses the request's model (after modelNameOverride) as the Azure deployment; " +
          "name the targets' model after it",
      );
    }
    const schema: Record<string, unknown> = { name: SCHEMA[b.kind] };
    if (b.kind === 'azure-openai' && b.apiVersion) schema.version = b.apiVersion;
    // aigw appends /v1/... to the URL; Envoy AI Gateway appends /chat/completions (OpenAI) or /messages (Anthropic) to the
    // prefix (default /v1). The base path alone as an Anthropic prefix made the cluster call /anthropic/messages.
    if (path) schema.prefix = `${path}/v1`;
    const headers = Object.entries(b.headers ?? {})
      .map(([h, v]) => ({ name: h, value: headerValue(ctx, name, label, h, v) }))
      .filter((h) => {
        // The CRD takes a value of at least one character: one empty header made kubectl refuse the whole backend.
        if (h.value !== '') return true;
        ctx.warn(
          `${where}.headers.${h.name}`,
          'an empty value cannot be set by headerMutation (the CRD refuses it): not exported, so the cluster sends no such header',
        );
        return false;
      })
      .filter((h) => {
        // The CRD's bounds on headerMutation.set (16 entries, names of 256 and values of 4,096 characters): past them,
        // kubectl refused the whole AIServiceBackend, and the cluster routed its models nowhere.
        const past =
          h.name.length > MAX_HEADER_NAME
            ? `a name of ${h.name.length} characters (the CRD takes at most ${MAX_HEADER_NAME})`
            : h.value.length > MAX_HEADER_VALUE
              ? `a value of ${h.value.length} characters (the CRD takes at most ${MAX_HEADER_VALUE})`
              : undefined;
        if (past === undefined) return true;
        ctx.warn(
          `${where}.headers.${h.name}`,
          `${past} cannot be set by headerMutation: not exported, so the cluster sends no such header`,
        );
        return false;
      })
      .filter((h, i) => {
        if (i < MAX_HEADERS) return true;
        ctx.warn(
          `${where}.headers.${h.name}`,
          `headerMutation sets at most ${MAX_HEADERS} headers (the CRD): not exported, so the cluster sends no such header`,
        );
        return false;
      });
    out.push({
      value: {
        apiVersion: AIGW_API,
        kind: 'AIServiceBackend',
        metadata: ctx.metadata(label),
        spec: {
          schema,
          backendRef: { name: label, kind: 'Backend', group: EG_GROUP },
          ...(headers.length ? { headerMutation: { set: headers } } : {}),
        },
      },
      header: `backends.${name} (${b.url})`,
    });
    const ip = isIP(host) !== 0;
    if (!ip && !isDnsName(host.toLowerCase())) {
      // The Backend's fqdn.hostname and the TLS policy's hostname take RFC 1123 names only: written, kubectl refused both.
      ctx.warn(
        `${where}.url`,
        `${host} is not a host name the Backend CRD takes (lowercase letters, digits, '-' and '.': no '_'), so no Backend ` +
          `${tls ? 'or BackendTLSPolicy ' : ''}is exported and the cluster routes this backend's models nowhere: add a Backend ` +
          `named ${label} at a name (or address) of the same host`,
      );
    } else {
      out.push(...addressObjects(ctx, where, label, host, ip, port, tls));
    }
    if (b.apiKey !== undefined) out.push(...keyObjects(ctx, name, label, b));
  }
  return out;
}

/** RFC 1123 names, as the Backend's `fqdn.hostname` and a BackendTLSPolicy's `hostname` patterns take them. */
const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const isDnsName = (host: string): boolean => host.length <= 253 && DNS_NAME.test(host);

/**
 * The Backend, and for https how the cluster speaks TLS to it. A BackendTLSPolicy's `hostname` — the SNI Envoy sends and
 * the name the certificate is checked against — is a DNS name only: an IPv6 address failed its pattern, and kubectl
 * refused the policy (then Envoy spoke plain HTTP to the TLS port). An IPv4 address passes the pattern, but it is no
 * host name either (Gateway API's PreciseHostname, RFC 6066: an SNI carries no literal address): written, Envoy sent
 * `10.0.0.5` as the SNI, which a server picking its certificate by name refuses or answers with its default one, and
 * checked the certificate against a name that is an address. At either kind of address the Backend's own `tls` carries
 * TLS instead, trusting the system CAs, and the difference is said.
 */
function addressObjects(
  ctx: ExportContext,
  where: string,
  label: string,
  host: string,
  ip: boolean,
  port: number,
  tls: boolean,
): K8sObject[] {
  const byAddress = tls && ip;
  if (byAddress) {
    ctx.warn(
      `${where}.url`,
      `https at the address ${host}: a BackendTLSPolicy's hostname (the SNI and the name the certificate is checked ` +
        "against) must be a DNS name, so none is exported; the Backend's own tls trusts the system CAs instead, and Envoy " +
        "Gateway sends the request's Host header as SNI — a certificate issued for the address alone may be refused " +
        'where aigw takes it; to check that name, point the Backend at a DNS name of the host',
    );
  }
  const out: K8sObject[] = [
    {
      value: {
        apiVersion: EG_API,
        kind: 'Backend',
        metadata: ctx.metadata(label),
        spec: {
          endpoints: [ip ? { ip: { address: fullIPv6(host), port } } : { fqdn: { hostname: host.toLowerCase(), port } }],
          ...(byAddress ? { tls: { wellKnownCACertificates: 'System' } } : {}),
        },
      },
      ...(byAddress
        ? { comments: { 'spec.tls': 'The URL is https at an IP address: TLS to the backend, verified against the system CAs.' } }
        : {}),
    },
  ];
  if (tls && !byAddress) {
    out.push({
      value: {
        apiVersion: GATEWAY_API,
        kind: 'BackendTLSPolicy',
        metadata: ctx.metadata(`${label}-tls`),
        spec: {
          targetRefs: [{ group: EG_GROUP, kind: 'Backend', name: label }],
          validation: { wellKnownCACertificates: 'System', hostname: host.toLowerCase() },
        },
      },
      comments: { spec: 'The URL is https: TLS to the backend, verified against the system CAs.' },
    });
  }
  return out;
}

/**
 * An IPv6 address in full, eight groups (an IPv4 address as it is): the Backend CRD's `ip.address` pattern admits
 * only a few compressed shapes, and refused `::1`, `fd00::10:0:0:5` or `2001:db8::` — the Backend with them, so its
 * models routed nowhere. The host is a URL's, as WHATWG writes it: lowercase, `::` at most once, no dotted tail.
 */
export function fullIPv6(host: string): string {
  if (isIP(host) !== 6) return host;
  const [head = '', tail] = host.split('::');
  const before = head ? head.split(':') : [];
  if (tail === undefined) return before.join(':');
  const after = tail ? tail.split(':') : [];
  return [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after].join(':');
}

/**
 * A header as the AIServiceBackend writes it. A credential — a key header, or a value read from `${VAR}` — is
 * a `${VAR}` placeholder unless --include-secrets, as an apiKey's Secret is: the variable the profile reads (its
 * default dropped, as envsubst fills in none), else one named after the backend and header. Other headers are
 * written as they are.
 */
function headerValue(ctx: ExportContext, name: string, label: string, header: string, real: string): string {
  const where = `backends.${name}.headers.${header}`;
  const raw = ctx.rawAt('backends', name, 'headers', header);
  const fromEnv = typeof raw === 'string' && referable(raw).match(ENV_REF) !== null;
  // A credential by its name is the profile's own rule (x-goog-api-key, ocp-apim-subscription-key, x-amz-security-token
  // too): the three names of aigw's client keys alone let those be written in the clear.
  if (!fromEnv && !isCredentialHeader(header)) return real;
  if (ctx.opts.includeSecrets) {
    ctx.warn(
      where,
      "a credential, written as its real value (--include-secrets) into the AIServiceBackend's headerMutation, " +
        'which has no Secret reference: keep this file out of version control',
    );
    return real;
  }
  const value = fromEnv
    ? referable(raw as string).replace(ENV_REF, (_ref, name: string) => ctx.placeholder(name)) +
      (raw as string).slice(referable(raw as string).length)
    : ctx.placeholder(envVarFor(label, 'header', header));
  ctx.warn(
    where,
    `a credential, written as ${value}${fromEnv ? '' : ' (the whole value)'}: fill it in (envsubst) before applying; the AIServiceBackend's headerMutation ` +
      'then holds it as it is (it has no Secret reference — an apiKey goes to a Secret)',
  );
  if (fromEnv && value !== raw) ctx.warnDroppedDefaults(where, raw as string);
  return value;
}

function keyObjects(ctx: ExportContext, name: string, label: string, b: BackendConfig): K8sObject[] {
  const secret = `${label}-apikey`;
  const policy = KEY_POLICY[b.kind];
  const value = ctx.secretValue(b.apiKey!, ['backends', name, 'apiKey'], envVarFor(secret));
  return [
    {
      value: {
        apiVersion: AIGW_API,
        kind: 'BackendSecurityPolicy',
        metadata: ctx.metadata(secret),
        spec: {
          targetRefs: [{ group: AIGW_GROUP, kind: 'AIServiceBackend', name: label }],
          type: policy.type,
          [policy.field]: { secretRef: { name: secret, namespace: ctx.opts.namespace } },
        },
      },
    },
    {
      value: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: ctx.metadata(secret),
        type: 'Opaque',
        stringData: { apiKey: value },
      },
      comments: ctx.opts.includeSecrets
        ? { stringData: 'The real key (--include-secrets): keep this file out of version control.' }
        : { stringData: `backends.${name}.apiKey, as a placeholder: fill it in (envsubst) or create the Secret yourself.` },
    },
  ];
}
