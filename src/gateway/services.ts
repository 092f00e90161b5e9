/**
 * What a runtime starts besides routes and limits: the tracer, the JWT verifier (and its JWKS refresh), the
 * listener's TLS material, the mtls rules, and per backend what an attempt adds (provider names, identity
 * headers). Built once per profile; a reload carries over the tracer and the verifier when their settings did
 * not change. Both are counted in the runtimes' SharedHolds: the last runtime using one closes it, once its
 * last request has settled.
 */
import { compileForwardIdentity, type ForwardIdentity } from '../auth/forward-identity.js';
import { type JwksStatus, shownLocation } from '../auth/jwks.js';
import { type JwtAuth, startJwtAuth } from '../auth/jwt.js';
import { compileMtlsRules, type MtlsRules } from '../auth/mtls.js';
import { caCertificates, caFingerprints, loadTlsOptions, type TlsServerOptions } from '../auth/tls-options.js';
import { escapeControls } from '../core/printable.js';
import { aigwVersion } from '../core/version.js';
import { metricProvider, spanProvider } from '../observe/genai-names.js';
import { createTracing, type Tracing } from '../observe/tracing.js';
import type { Profile } from '../profile/schema.js';
import { headerKey } from '../profile/header-names.js';
import type { SharedHolds } from './shared-holds.js';

/** Per backend, what the attempt stage adds to the request and its record. */
export interface BackendEdge {
  /** gen_ai_provider_name (metrics dialect) and gen_ai.provider.name (span dialect), from the backend's kind. */
  readonly provider: string;
  readonly spanProvider: string;
  /** The base URL: its host and port name the attempt span's server. */
  readonly url: string;
  readonly identity: ForwardIdentity | undefined;
}

/** A profile's setup could not be completed (a TLS file vanished since validation): the reload is refused. */
export class ServicesError extends Error {}

const tracingKey = (p: Profile) => JSON.stringify(p.observe.tracing ?? null);
const jwtKey = (p: Profile) => JSON.stringify([p.auth?.jwt ?? null, Object.keys(p.tenants ?? {})]);

export class Services {
  private constructor(
    readonly tracing: Tracing,
    readonly jwt: JwtAuth | undefined,
    readonly tls: TlsServerOptions | undefined,
    /** Undefined when no tenant has an mtls rule. */
    readonly mtls: MtlsRules | undefined,
    readonly backends: ReadonlyMap<string, BackendEdge>,
    /**
     * Client headers never sent upstream under this profile beyond relay/headers.ts's own list: every backend's
     * identity headers (whichever backend a request goes to), and trace context while tracing replaces it.
     * Undefined when there are none, so the header loop costs nothing more.
     */
    readonly strip: ReadonlySet<string> | undefined,
    /** The backends' userHeader names: a client's value there is checked once, before routing. */
    readonly userHeaders: readonly string[],
    private readonly keys: { tracing: string; jwt: string },
    private readonly holds: SharedHolds,
  ) {}

  /** Whether the auth stage has anything beyond API keys to try. */
  get otherIdentities(): boolean {
    return this.jwt !== undefined || this.mtls !== undefined;
  }

  /**
   * The services for `profile`, reusing `previous`'s tracer and verifier when their settings are unchanged;
   * this one holds both in `holds` until close().
   */
  static async create(profile: Profile, holds: SharedHolds, previous?: Services): Promise<Services> {
    const keys = { tracing: tracingKey(profile), jwt: jwtKey(profile) };
    const tls = profile.tls ? await loadTlsOptions(profile.tls, '.') : undefined;
    if (tls && !tls.ok) throw new ServicesError(`${tls.problem.key}: ${tls.problem.message}`);
    const tracing =
      previous && previous.keys.tracing === keys.tracing ? previous.tracing : await createTracing(profile.observe.tracing, aigwVersion());
    holds.hold(tracing, () => tracing.shutdown());
    let jwt: JwtAuth | undefined;
    try {
      jwt = previous && previous.keys.jwt === keys.jwt ? await rereadKeys(profile, previous.jwt) : await startJwt(profile, previous?.jwt);
    } catch (e) {
      await holds.drop(tracing);
      throw e;
    }
    if (jwt) holds.hold(jwt, () => jwt.close());
    const { rules } = compileMtlsRules(profile.tenants);
    // The client CA now: a connection verified under one a reload removed names no tenant (auth/mtls.ts).
    const mtls = rules.rules.length
      ? { rules: rules.rules, trusted: caFingerprints(tls?.options.ca), trustedCas: caCertificates(tls?.options.ca) }
      : undefined;
    const backends = new Map<string, BackendEdge>();
    const strip = new Set<string>();
    const userHeaders = new Set<string>();
    for (const [name, b] of Object.entries(profile.backends)) {
      const identity = compileForwardIdentity(b.forwardIdentity);
      // As upstreamHeaders compares names (headerKey: punctuation read as dashes).
      for (const h of identity?.strip ?? []) strip.add(headerKey(h));
      if (identity?.userHeader) userHeaders.add(identity.userHeader);
      backends.set(name, { provider: metricProvider(b.kind), spanProvider: spanProvider(b.kind), url: b.url, identity });
    }
    if (tracing.enabled) strip.add('traceparent').add('tracestate');
    return new Services(tracing, jwt, tls?.options, mtls, backends, strip.size ? strip : undefined, [...userHeaders], keys, holds);
  }

  /** Lets go of the verifier and the tracer: the last services holding one stops it (and flushes spans). */
  async close(): Promise<void> {
    await this.holds.drop(this.jwt);
    await this.holds.drop(this.tracing);
  }
}

/** `previous`: the verifier of the profile this one replaces, whose keys a failed first load falls back on. */
async function startJwt(profile: Profile, previous: JwtAuth | undefined): Promise<JwtAuth | undefined> {
  const config = profile.auth?.jwt;
  if (!config) return undefined;
  const auth = await startJwtAuth(config, new Set(Object.keys(profile.tenants ?? {})), {}, previous);
  warnOfKeys(config.jwks, auth.status);
  return auth;
}

/**
 * A verifier a reload keeps (its settings unchanged) reads its key set again, as a reload reads the TLS files again:
 * kept as it was, it served the keys of its last read until its next routine refresh — a signing key taken out of
 * the set (leaked) went on verifying tokens for up to refreshInterval after the reload that was to drop it. A read
 * that fails keeps the keys it has, as any refresh does.
 */
async function rereadKeys(profile: Profile, jwt: JwtAuth | undefined): Promise<JwtAuth | undefined> {
  const config = profile.auth?.jwt;
  if (!jwt || !config) return jwt;
  await jwt.jwks.reread();
  warnOfKeys(config.jwks, jwt.jwks.status());
  return jwt;
}

function warnOfKeys(jwks: string, status: JwksStatus): void {
  const where = shownLocation(jwks);
  // Escaped: why a load failed quotes the key server's answer (a JSON.parse message quotes the text it could not read).
  const why = escapeControls(status.lastError ?? 'not fetched');
  if (!status.loaded) {
    // Loud, not fatal: the key server may come up after the gateway; tokens are refused (jwks_unavailable) until then.
    process.stderr.write(`aigw: warning: auth.jwt: no keys loaded from ${where} (${why}); tokens are refused until they load\n`);
  } else if (status.lastError !== undefined) {
    process.stderr.write(`aigw: warning: auth.jwt: cannot load keys from ${where} (${why}); the previous keys stay in use\n`);
  }
}
