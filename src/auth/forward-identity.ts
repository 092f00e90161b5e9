/**
 * Who is calling, told to a backend (`backends.X.forwardIdentity: { tenantHeader, userHeader }`), pure: the
 * configured headers are always stripped from the client's request first — so no client can forge them — and
 * set again only from what the gateway established (the tenant it authenticated, the user it verified or let
 * that tenant name).
 */
import type { BackendConfig } from '../profile/schema.js';

export type ForwardIdentityConfig = NonNullable<BackendConfig['forwardIdentity']>;

export interface ForwardIdentity {
  /** Lower-case header names; absent when not configured. */
  readonly tenantHeader: string | undefined;
  readonly userHeader: string | undefined;
  /** Every configured name, lower-case: what the upstream header builder removes from the client's headers. */
  readonly strip: readonly string[];
}

export interface Caller {
  /** The tenant the gateway authenticated (API key, JWT or client certificate); undefined when auth is off. */
  tenant?: string | undefined;
  /** A user the gateway verified (auth.jwt.userClaim). */
  user?: string | undefined;
  /**
   * Whether the client may name its own end user in `userHeader` when no verified user exists. The request
   * path says yes for an authenticated tenant (it vouches for its users); never without a tenant.
   */
  clientMayNameUser: boolean;
}

export interface IdentityHeaders {
  /** Header name/value pairs to add upstream, after `strip` was applied. */
  set: [string, string][];
  /** The client sent a user header that cannot be forwarded (not visible ASCII, or over 256 characters). */
  userRefused: boolean;
}

/** RFC 9110 token characters: what a header name may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
/** Headers the gateway or the HTTP layer own; an identity header must not take their place. */
const RESERVED = new Set([
  'authorization',
  'api-key',
  'x-api-key',
  'cookie',
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'traceparent',
  'tracestate',
  'x-request-id',
]);
/** Visible ASCII with inner spaces, at most 256 characters. */
const VALUE = /^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$/;

/** Problems with a forwardIdentity block, each a sentence naming the key (profile checks report them). */
export function forwardIdentityProblems(cfg: ForwardIdentityConfig): { key: 'tenantHeader' | 'userHeader'; message: string }[] {
  const out: { key: 'tenantHeader' | 'userHeader'; message: string }[] = [];
  for (const key of ['tenantHeader', 'userHeader'] as const) {
    const name = cfg[key]?.toLowerCase();
    if (name === undefined) continue;
    if (!TOKEN.test(name))
      out.push({ key, message: `expected a header name (letters, digits and !#$%&'*+.^_\`|~-), got ${JSON.stringify(cfg[key])}` });
    else if (RESERVED.has(name))
      out.push({ key, message: `${name} is set by the gateway or the HTTP layer; choose another header such as x-aigw-tenant` });
  }
  if (cfg.tenantHeader !== undefined && cfg.tenantHeader.toLowerCase() === cfg.userHeader?.toLowerCase())
    out.push({ key: 'userHeader', message: 'userHeader must differ from tenantHeader' });
  return out;
}

/** Compiled once per backend (when the runtime is built), used on every request to it. */
export function compileForwardIdentity(cfg: ForwardIdentityConfig | undefined): ForwardIdentity | undefined {
  if (!cfg || (cfg.tenantHeader === undefined && cfg.userHeader === undefined)) return undefined;
  const tenantHeader = cfg.tenantHeader?.toLowerCase();
  const userHeader = cfg.userHeader?.toLowerCase();
  return { tenantHeader, userHeader, strip: [tenantHeader, userHeader].filter((h): h is string => h !== undefined) };
}

/**
 * The identity headers for one upstream request. `clientUser` is the client's own value of `userHeader`
 * (node:http's headers[userHeader]), read before stripping.
 */
export function identityHeaders(fi: ForwardIdentity, caller: Caller, clientUser: string | string[] | undefined): IdentityHeaders {
  const set: [string, string][] = [];
  let userRefused = false;
  if (fi.tenantHeader !== undefined && caller.tenant !== undefined) set.push([fi.tenantHeader, caller.tenant]);
  if (fi.userHeader !== undefined) {
    let user = caller.user;
    if (user === undefined && clientUser !== undefined && caller.clientMayNameUser && caller.tenant !== undefined) {
      if (typeof clientUser === 'string' && VALUE.test(clientUser)) user = clientUser;
      else userRefused = true;
    }
    if (user !== undefined && VALUE.test(user)) set.push([fi.userHeader, user]);
  }
  return { set, userRefused };
}
