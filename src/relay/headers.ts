/**
 * Header hygiene in both directions. Upstream: the client's credentials (under any provider's header
 * name), cookies, account and forwarding claims, identity headers (x-aigw-tenant, x-aigw-user, and the ones a
 * profile names), hop-by-hop headers (including any named by Connection) and host never leave, however spelt
 * (headerKey); everything else end-to-end (x-mock-*, session ids) passes. Downstream: hop-by-hop headers,
 * framing, set-cookie and the provider account's rate-limit and organisation headers from a backend are dropped.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Scrub } from '../core/scrub.js';
import { headerKey } from '../profile/header-names.js';

const NEVER_UPSTREAM = new Set([
  // Credentials: the client's are never forwarded (the backend gets its own), whatever header names them.
  ...['authorization', 'api-key', 'x-api-key', 'proxy-authorization', 'x-goog-api-key', 'ocp-apim-subscription-key'],
  ...['x-amz-security-token', 'anthropic-api-key', 'cookie'],
  // Whose account and project pay: the gateway's, not a client's choice.
  ...['openai-organization', 'openai-project'],
  // Where the request came from: the gateway says that itself (x-forwarded-for, appended), never a client.
  ...['x-real-ip', 'forwarded', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-for'],
  // Framing and hop-by-hop headers.
  ...['host', 'content-length', 'expect', 'connection', 'keep-alive', 'proxy-authenticate', 'proxy-connection'],
  ...['te', 'trailer', 'transfer-encoding', 'upgrade', 'accept-encoding'],
  // Who is calling: only the gateway says that (forwardIdentity's usual names), to any backend; and a client certificate
  // is the gateway's to vouch for — Envoy sanitizes x-forwarded-client-cert by default, a backend behind it trusts it;
  // RFC 9440's Client-Cert and Client-Cert-Chain, which a TLS-terminating proxy (this one) must never pass on from a
  // client (§4), and Traefik's passTLSClientCert pair.
  ...['x-aigw-tenant', 'x-aigw-user', 'x-forwarded-client-cert', 'client-cert', 'client-cert-chain'],
  ...['x-forwarded-tls-client-cert', 'x-forwarded-tls-client-cert-info'],
  // ASP.NET Core's certificate forwarding default (Azure App Service sets it); the verdict and names of nginx's usual
  // `proxy_set_header X-Client-Verify $ssl_client_verify` / `X-Client-DN $ssl_client_s_dn` setups.
  ...['x-arr-clientcert', 'x-client-verify', 'x-client-dn', 'x-client-s-dn', 'x-client-i-dn'],
  // The gateway says which version it speaks to an Anthropic backend (translate/upstream-request.ts).
  'anthropic-version',
]);

/**
 * Families of headers by which a TLS-terminating proxy names the client certificate it verified: AWS's load balancers
 * (`x-amzn-mtls-clientcert`, `-subject`, `-leaf`, …), nginx's and Apache's usual `x-ssl-client-*` / `SSL_CLIENT_*` and
 * `X-SSL-Cert`, Google's load balancers' documented `x-client-cert-*`, Cloudflare's `Cf-Client-Cert-Der-Base64` and
 * `-Sha256`. aigw is that proxy here: a client's copy is a forgery.
 */
const CLIENT_CERT_PREFIXES = ['x-amzn-mtls-clientcert', 'x-ssl-client-', 'x-ssl-cert', 'ssl-client-', 'x-client-cert', 'cf-client-cert'];

/** Whether a header (as headerKey reads it) names a client certificate, by one of CLIENT_CERT_PREFIXES. */
function namesClientCert(key: string): boolean {
  const c = key.charCodeAt(0);
  // Cheap first: only names beginning with `x`, `s` or `c` can be one.
  if (c !== 0x78 && c !== 0x73 && c !== 0x63) return false;
  for (const p of CLIENT_CERT_PREFIXES) if (key.startsWith(p)) return true;
  return false;
}

const backendNames = new WeakMap<readonly string[], ReadonlySet<string>>();

/**
 * The names a backend's own headers set (as headerKey reads them), once per backend's list: a client's header of the
 * same name is not sent beside it, where a server that reads the first of repeated headers took the client's value.
 */
function namesOf(backendHeaders: readonly string[]): ReadonlySet<string> {
  let names = backendNames.get(backendHeaders);
  if (!names) {
    const set = new Set<string>();
    for (let i = 0; i < backendHeaders.length; i += 2) set.add(headerKey(backendHeaders[i]!.toLowerCase()));
    backendNames.set(backendHeaders, (names = set));
  }
  return names;
}

/**
 * Upstream headers as undici's flat array: the client's allowed headers (minus `strip`: the profile's identity
 * headers, and trace context when the gateway replaces it), then the backend's own credential and extra
 * headers (a client's header of a name they set is dropped: the profile's value is the one), `added` (identity and
 * trace context, flat), x-forwarded-for (appended, never trusted) and the request id.
 */
export function upstreamHeaders(
  raw: readonly string[],
  backendHeaders: readonly string[],
  clientAddress: string | undefined,
  requestId: string,
  strip?: ReadonlySet<string>,
  added?: readonly string[],
): string[] {
  let connectionTokens: Set<string> | undefined;
  let xff: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'connection') connectionTokens = connectionNames(raw[i + 1]!, connectionTokens);
    else if (name === 'x-forwarded-for') xff = xff ? `${xff}, ${raw[i + 1]}` : raw[i + 1];
  }
  // A chain the client's Connection names is this hop's (RFC 9110 §7.6.1): not passed on, inside the gateway's own either.
  if (connectionTokens?.has('x-forwarded-for')) xff = undefined;
  const out: string[] = [];
  const own = backendHeaders.length === 0 ? undefined : namesOf(backendHeaders);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const key = headerKey(name);
    if (NEVER_UPSTREAM.has(key) || key === 'x-request-id' || connectionTokens?.has(key) || strip?.has(key) || own?.has(key)) continue;
    if (namesClientCert(key)) continue;
    out.push(name, raw[i + 1]!);
  }
  for (let i = 0; i < backendHeaders.length; i++) out.push(backendHeaders[i]!);
  if (added) for (let i = 0; i < added.length; i++) out.push(added[i]!);
  out.push('accept-encoding', 'identity');
  if (clientAddress) out.push('x-forwarded-for', xff ? `${xff}, ${clientAddress}` : clientAddress);
  out.push('x-request-id', requestId);
  return out;
}

const NEVER_DOWNSTREAM = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-connection',
  'set-cookie',
  'content-length',
  'date',
  'server',
  'x-request-id',
]);

const FRAMING = new Set(['content-type', 'content-encoding']);

/**
 * Whose account a backend's answer speaks of: the operator's, not a tenant's. A provider's rate-limit headers count
 * what every tenant on the key has left (one tenant read the others' traffic from them, request by request, and a
 * client pacing by them paced by someone else's budget); its organisation and project ids name the operator's
 * account. The only x-ratelimit-* a client gets are the gateway's own (the contract's, for a tenant with limits).
 */
const ACCOUNT_HEADERS = new Set(['openai-organization', 'openai-project', 'anthropic-organization-id']);
/**
 * Any name with `ratelimit` in it (OpenAI's and most providers' `x-ratelimit-*`, Anthropic's `anthropic-ratelimit-*`,
 * the IETF draft's `ratelimit` and `ratelimit-policy`, Mistral's `x-ratelimitbysize-*`), Anthropic's Priority Tier
 * `anthropic-priority-*`, and the accounts' ids.
 */
const isAccountHeader = (name: string): boolean =>
  name.includes('ratelimit') || name.startsWith('anthropic-priority-') || ACCOUNT_HEADERS.has(name);

/**
 * The most header bytes of a backend's relayed to the client (each line's name, value, `: ` and CRLF): 1 KiB under the
 * 16 KiB a client on Node (openai-node's fetch, node:http: names and values) or h11 (the Python SDK: the head's bytes)
 * reads, for what the gateway adds (x-request-id, x-aigw-backend, x-ratelimit-*, request-id, date, connection,
 * framing). The gateway's own reader takes a backend's head up to 16 KiB: relayed whole, one within a few hundred bytes
 * of it reached the client past its limit (HPE_HEADER_OVERFLOW, UND_ERR_HEADERS_OVERFLOW) — a 200 the gateway counted
 * as served, the client a connection error it retried, the backend generating the answer again each time. Past this,
 * the rest of the backend's headers are left out; content-type and content-encoding never are.
 */
export const MAX_RELAYED_HEADER_BYTES = 15 * 1024;

/** A header's bytes in a head: a line for each of its values, `name: value` and CRLF. */
function headerBytes(name: string, v: string | readonly string[]): number {
  if (typeof v === 'string') return name.length + v.length + 4;
  let n = 0;
  for (const x of v) n += name.length + x.length + 4;
  return n;
}

/**
 * The backend's response headers that the client may see (framing is decided by the relay). A header whose value
 * holds one of the profile's credentials is dropped: a backend's debug header echoed the gateway's key to every client.
 */
export function downstreamHeaders(
  upstream: IncomingHttpHeaders,
  out: Record<string, string | string[]>,
  scrub: Scrub,
): Record<string, string | string[]> {
  // Headers the backend's Connection names are hop-by-hop too (RFC 9110 §7.6.1): this hop's, not the client's.
  const named = upstream.connection === undefined ? undefined : connectionNames(upstream.connection);
  // Framing is always relayed: its bytes are taken from the budget first, whatever its place in the head.
  let room = MAX_RELAYED_HEADER_BYTES;
  for (const name of FRAMING) {
    const v = upstream[name];
    if (v !== undefined) room -= headerBytes(name, v);
  }
  for (const name in upstream) {
    const v = upstream[name];
    // A name holding a credential (`x-<key>: 1`) goes as a value holding one does.
    if (v === undefined || NEVER_DOWNSTREAM.has(name) || isAccountHeader(name) || scrub(name) !== name) continue;
    // Framing named there is still framing (without content-type openai-node read a JSON answer as a string).
    if (named?.has(headerKey(name)) && !FRAMING.has(name)) continue;
    if (FRAMING.has(name)) {
      // Framing is never dropped (without content-type openai-node read a JSON answer as a string): scrubbed.
      out[name] = typeof v === 'string' ? scrub(v) : v.map(scrub);
      continue;
    }
    if (typeof v === 'string' ? scrub(v) !== v : v.some((x) => scrub(x) !== x)) continue;
    const size = headerBytes(name, v);
    if (size > room) continue;
    room -= size;
    out[name] = v;
  }
  return out;
}

/** The header names (as headerKey reads them) a Connection header lists, added to `into` (repeated headers add up). */
function connectionNames(value: string | readonly string[], into = new Set<string>()): Set<string> {
  for (const v of typeof value === 'string' ? [value] : value)
    for (const t of v.split(',')) {
      const name = t.trim().toLowerCase();
      if (name !== '') into.add(headerKey(name));
    }
  return into;
}
