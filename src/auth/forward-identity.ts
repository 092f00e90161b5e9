/**
 * Who is calling, told to a backend (`backends.X.forwardIdentity: { tenantHeader, userHeader }`), pure: the
 * configured headers are always stripped from the client's request first — so no client can forge them — and
 * set again only from what the gateway established (the tenant it authenticated, the user it verified or let
 * that tenant name).
 */
import { forwardIdentityProblems } from '../profile/header-names.js';
import type { BackendConfig } from '../profile/schema.js';

export { forwardIdentityProblems };

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
  /** A user the gateway verified (auth.jwt.userClaim; jwt-claims.ts checked its text). */
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

/** Visible ASCII with inner spaces, at most 256 characters. */
const VALUE = /^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$/;

/**
 * A verified user (jwt-claims.ts: no control or line break, at most 256 characters) as a header value: visible ASCII
 * as it is, anything else as its UTF-8 bytes — what Envoy's jwt_authn claim_to_headers forwards; node:http writes a
 * value's characters as Latin-1 bytes, so the value is those bytes read as Latin-1.
 */
function verifiedUserValue(user: string): string {
  return VALUE.test(user) ? user : Buffer.from(user, 'utf8').toString('latin1');
}

/** Whether a client's value of a user header may be forwarded (absent: nothing to refuse). */
export function forwardableUser(value: string | string[] | undefined): boolean {
  return value === undefined || (typeof value === 'string' && VALUE.test(value));
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
    if (caller.user !== undefined) set.push([fi.userHeader, verifiedUserValue(caller.user)]);
    else if (clientUser !== undefined && caller.clientMayNameUser && caller.tenant !== undefined) {
      if (typeof clientUser === 'string' && VALUE.test(clientUser)) set.push([fi.userHeader, clientUser]);
      else userRefused = true;
    }
  }
  return { set, userRefused };
}
