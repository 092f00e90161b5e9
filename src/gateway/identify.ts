/**
 * The auth stage past API keys. Keys are looked up first, synchronously, by the handler; only when that fails
 * does a request come here: a bearer credential that is no known key but a JWT is verified (auth.jwt), and a
 * request with no credential at all is identified by its verified client certificate (tenants.X.mtls).
 * Precedence: a credential that is sent decides; the certificate decides only when none is.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { forwardableUser } from '../auth/forward-identity.js';
import { type JwtAuth, jwtError, mayBeJwt } from '../auth/jwt.js';
import { allowedModels } from '../auth/jwt-claims.js';
import { certificateExpiry, type MtlsResult, type MtlsRules, tenantOfPeer } from '../auth/mtls.js';
import { fromAnotherSite } from '../core/browser-guard.js';
import { type AigwError, aigwError } from '../core/errors.js';
import { keyOf, type Tenant, type TenantDirectory, unauthorized } from '../tenants/keys.js';
import type { Services } from './services.js';

/**
 * `userByToken`: a JWT identified the caller with auth.jwt.userClaim set — the token names the user or nobody
 * does; the bearer (often the end user) may not name one in a user header.
 */
export type Identified = { tenant: Tenant; user: string | undefined; userByToken?: boolean } | AigwError;

/**
 * Who calls, when the API-key lookup refused the request with `keyFailure`. A Promise only for a JWT (its
 * signature check may wait for the key set); everything else answers at once.
 */
export function identifyOtherwise(
  req: IncomingMessage,
  tenants: TenantDirectory,
  services: Services,
  keyFailure: AigwError,
): Identified | Promise<Identified> {
  const found = keyOf(req.rawHeaders);
  if (typeof found === 'string') {
    // Shaped as a JWT (auth/jwt.ts mayBeJwt); an oversized one still goes to the verifier, which refuses it by size.
    return services.jwt && mayBeJwt(found) ? verifyJwt(services.jwt, found, tenants) : keyFailure;
  }
  if (found !== undefined || !services.mtls) return keyFailure;
  const byCertificate = fromCertificate(req.socket, services.mtls, tenants);
  // A client certificate is an ambient credential: a browser presents it on whatever page's request goes to the gateway
  // (a no-cors POST with a Blob body needs no preflight), so any site its user visited spent the tenant's tokens. An API
  // key or a JWT is no such thing: a page must know it to send it. As a gateway without tenants answers such pages.
  if ('code' in byCertificate || !fromAnotherSite(req.headers)) return byCertificate;
  return aigwError('forbidden', 'a client certificate identifies no web page from another site; send an API key or a JWT from a web page');
}

async function verifyJwt(jwt: JwtAuth, token: string, tenants: TenantDirectory): Promise<Identified> {
  const r = await jwt.verifier.verify(token);
  if (!r.ok) return jwtError(r.reason);
  // A reload may have removed the tenant since the verifier was built.
  const tenant = tenants.tenants.get(r.identity.tenant);
  if (!tenant) return jwtError('unknown_tenant');
  const models = r.identity.models;
  // The token's models narrow the tenant's allow-list, for /v1/models and the 403 check alike.
  const narrowed = models === undefined ? tenant : { ...tenant, allowed: new Set(allowedModels(tenant.config.models, models)) };
  return { tenant: narrowed, user: r.identity.user, userByToken: jwt.namesUsers };
}

/** The verdict on a connection's certificate, per socket: a keep-alive connection is looked at once per profile. */
const verdicts = new WeakMap<Socket, { rules: MtlsRules; result: MtlsResult; expires: number }>();

const CERT_REFUSAL: Readonly<Record<Exclude<MtlsResult, { ok: true }>['reason'], string>> = {
  no_certificate: 'missing API key: send Authorization: Bearer <key>, or a client certificate that names a tenant',
  unverified: "missing API key, and the client certificate is not signed by the gateway's client CA",
  unmapped: 'missing API key, and the client certificate names no tenant',
};
const CERT_EXPIRED = 'missing API key, and the client certificate has expired';

function fromCertificate(socket: Socket, rules: MtlsRules, tenants: TenantDirectory): Identified {
  const tls = socket as TLSSocket;
  if (!tls.encrypted) return unauthorized(CERT_REFUSAL.no_certificate);
  let v = verdicts.get(socket);
  if (!v || v.rules !== rules) {
    // authorizationError too: a verdict node:tls gives a later handshake on the connection leaves `authorized` as it was.
    // The chain too (detailed): a verdict holds only while the chain reaches a CA the profile trusts now.
    const cert = tls.getPeerCertificate(true);
    const result = tenantOfPeer(rules, tls.authorized && !tls.authorizationError, cert);
    // Only for a certificate that names a tenant: reading the chain's dates checks each link's signature, and the links
    // of a certificate nobody signed are whatever its client sent.
    v = { rules, result, expires: result.ok ? certificateExpiry(cert, rules) : Number.NEGATIVE_INFINITY };
    verdicts.set(socket, v);
  }
  if (!v.result.ok) return unauthorized(CERT_REFUSAL[v.result.reason]);
  // The handshake checked the certificate's dates once: a connection kept busy outlived it, still its tenant.
  if (Date.now() > v.expires) return unauthorized(CERT_EXPIRED);
  const tenant = tenants.tenants.get(v.result.tenant);
  return tenant ? { tenant, user: undefined } : unauthorized(CERT_REFUSAL.unmapped);
}

/**
 * A user header the client sent that could never be forwarded (a tenant may name its end users in a backend's
 * userHeader): refused with 400 before anything is reserved or routed, rather than silently dropped.
 */
export function clientUserProblem(headers: IncomingHttpHeaders, userHeaders: readonly string[]): AigwError | undefined {
  for (const name of userHeaders) {
    if (!forwardableUser(headers[name]))
      return aigwError('invalid_request', `the ${name} header must be visible ASCII, at most 256 characters`);
  }
  return undefined;
}
