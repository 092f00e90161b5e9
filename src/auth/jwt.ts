/**
 * JWT bearer tokens (`auth.jwt`) with jose: size first (nothing is parsed past the cap), then the header's
 * algorithm (asymmetric only: `none` and HMAC are refused), the signature against the JWKS, exp/nbf with a
 * small leeway, issuer and audience, and the claims mapped to a tenant. Every failure is a value naming its
 * class; neither the token nor its claims ever appear in a message.
 */
import type { CryptoKey, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import { type AigwError, aigwError } from '../core/errors.js';
import type { Profile } from '../profile/schema.js';
import { loadJose } from './jose.js';
import { type JwksOptions, JwksSource, type JwksStatus, JWT_ALGORITHMS, MAX_KEY_CANDIDATES } from './jwks.js';
import { type ClaimFailure, identityFromClaims, type JwtIdentity } from './jwt-claims.js';

export type JwtConfig = NonNullable<NonNullable<Profile['auth']>['jwt']>;

export { JWT_ALGORITHMS, MAX_KEY_CANDIDATES };
const ALGORITHMS: ReadonlySet<string> = new Set(JWT_ALGORITHMS);

/** Node's own limit on all request headers together is 16 KiB: a token cannot usefully be longer. */
export const MAX_TOKEN_BYTES = 16 * 1024;
/** Clock skew tolerated on exp and nbf, in seconds (Envoy's jwt_authn default). */
export const LEEWAY_SECONDS = 60;

export type JwtFailure =
  | 'token_too_large'
  | 'malformed'
  | 'alg_not_allowed'
  | 'unknown_kid'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'jwks_unavailable'
  | ClaimFailure;

export type JwtResult = { ok: true; identity: JwtIdentity; expiresAt: number } | { ok: false; reason: JwtFailure };

const SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const DESCRIPTION: Readonly<Record<JwtFailure, string>> = {
  token_too_large: 'the token is too large',
  malformed: 'the token is not a well-formed JWT',
  alg_not_allowed: 'the token is not signed with an accepted asymmetric algorithm',
  unknown_kid: "the token's signing key is not in the identity provider's key set",
  bad_signature: "the token's signature does not verify",
  expired: 'the token has expired',
  not_yet_valid: 'the token is not valid yet',
  wrong_issuer: 'the token was issued by another issuer',
  wrong_audience: 'the token is meant for another audience',
  jwks_unavailable: "the identity provider's keys could not be loaded",
  missing_claim: 'the token lacks a required claim',
  invalid_claim: 'a claim of the token has an unusable value',
  unknown_tenant: 'the token names no configured tenant',
};

/**
 * Whether a bearer credential has a JWT's shape (cheap): the request path tries API keys first, then this. The
 * base64url of a JSON object begins with `e` (`{`) whatever follows it: `eyJ` is `{"` alone, and a header written
 * with whitespace (`{ "alg"`: `eyA`, `{\n`: `ewo`), which RFC 7515 allows and jose reads, was taken for an API key.
 */
export function looksLikeJwt(token: string): boolean {
  return token.length <= MAX_TOKEN_BYTES && mayBeJwt(token);
}

/** looksLikeJwt without the size cap: what the auth stage sends the verifier, which refuses an oversized token by size. */
export function mayBeJwt(token: string): boolean {
  return token.charCodeAt(0) === 0x65 && (token.length > MAX_TOKEN_BYTES || SHAPE.test(token));
}

function failureOf(e: unknown): JwtFailure {
  const err = e as { code?: string; claim?: string; reason?: string };
  switch (err.code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (err.reason === 'missing') return 'missing_claim';
      if (err.claim === 'nbf') return 'not_yet_valid';
      if (err.claim === 'iss') return 'wrong_issuer';
      if (err.claim === 'aud') return 'wrong_audience';
      return 'invalid_claim';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad_signature';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'alg_not_allowed';
    // The algorithm is checked before jose sees the token: what it cannot support past that is the token's own
    // (a `crit` extension it does not understand, RFC 7515 §4.1.11), so the token is malformed.
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'malformed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'unknown_kid';
    case 'ERR_AIGW_JWKS_UNAVAILABLE':
      return 'jwks_unavailable';
    default:
      return 'malformed';
  }
}

/** What verification reads of auth.jwt (the key set's own settings go to JwksSource). */
export type JwtClaimsConfig = Pick<JwtConfig, 'issuer' | 'audience' | 'tenantClaim' | 'modelsClaim' | 'userClaim'>;

export class JwtVerifier {
  constructor(
    private readonly config: JwtClaimsConfig,
    /** Configured tenant names: a token must name one of them. */
    private readonly tenants: ReadonlySet<string>,
    private readonly getKey: JWTVerifyGetKey,
  ) {}

  async verify(token: string): Promise<JwtResult> {
    // Before any decoding: a megabyte of header costs one length comparison.
    if (token.length > MAX_TOKEN_BYTES) return { ok: false, reason: 'token_too_large' };
    if (!SHAPE.test(token)) return { ok: false, reason: 'malformed' };
    const { decodeProtectedHeader, jwtVerify } = await loadJose();
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof alg !== 'string' || !ALGORITHMS.has(alg)) return { ok: false, reason: 'alg_not_allowed' };
    const options = {
      algorithms: JWT_ALGORITHMS,
      issuer: this.config.issuer,
      audience: this.config.audience,
      clockTolerance: LEEWAY_SECONDS,
      requiredClaims: ['exp'],
    };
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, options));
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') return { ok: false, reason: failureOf(e) };
      const r = await verifyWithCandidates(token, e as AsyncIterable<CryptoKey>, options);
      if (!('payload' in r)) return r;
      payload = r.payload;
    }
    const r = identityFromClaims(payload, this.config, this.tenants);
    if (!r.ok) return { ok: false, reason: r.reason };
    return { ok: true, identity: r.identity, expiresAt: Number(payload.exp) * 1000 };
  }
}

/**
 * The token against each key its header matches, as jose leaves it to the caller: the first whose signature
 * verifies decides (its claims checked as usual); a key that cannot check it (a legacy 1,024-bit RSA key) or
 * a signature that does not verify passes to the next; none verifying is a bad signature.
 */
async function verifyWithCandidates(
  token: string,
  candidates: AsyncIterable<CryptoKey>,
  options: JWTVerifyOptions,
): Promise<{ payload: Record<string, unknown> } | { ok: false; reason: JwtFailure }> {
  const { jwtVerify } = await loadJose();
  let tried = 0;
  for await (const key of candidates) {
    if (++tried > MAX_KEY_CANDIDATES) break;
    try {
      return { payload: (await jwtVerify(token, key, options)).payload };
    } catch (e) {
      // ERR_JWT_*: the signature verified, and the claims (expiry, issuer, audience) decide.
      if ((e as { code?: string }).code?.startsWith('ERR_JWT_')) return { ok: false, reason: failureOf(e) };
    }
  }
  return { ok: false, reason: 'bad_signature' };
}

/** The client's answer for a refused token: 401 naming the reason class (RFC 6750's invalid_token), never the token. */
export function jwtError(reason: JwtFailure): AigwError {
  return aigwError('invalid_api_key', `Invalid bearer token: ${DESCRIPTION[reason]} (${reason}).`, {
    headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${reason}"` },
  });
}

export interface JwtAuth {
  verifier: JwtVerifier;
  /** auth.jwt.userClaim is set: a token names its user, or nobody does (the bearer may not name one). */
  namesUsers: boolean;
  jwks: JwksSource;
  /** The key set's state after the first load (log a warning when it did not load). */
  status: JwksStatus;
  /** Stops the interval refresh (on reload, when a new JwtAuth replaces this one, and on shutdown). */
  close(): void;
}

/**
 * The verifier for a profile's auth.jwt, keys loaded once before it is used (never rejects: see JwksStatus).
 * The refresh interval and unknown-kid cooldown come from the profile unless `opts` overrides them. `previous`:
 * the verifier a reload replaces — its keys are kept should the first load fail (JwksSource.start).
 */
export async function startJwtAuth(
  config: JwtClaimsConfig & Pick<JwtConfig, 'jwks'> & Partial<Pick<JwtConfig, 'refreshInterval' | 'refetchCooldown'>>,
  tenants: ReadonlySet<string>,
  opts: JwksOptions = {},
  previous?: JwtAuth,
): Promise<JwtAuth> {
  const jwks = new JwksSource(config.jwks, {
    ...(config.refreshInterval !== undefined ? { refreshIntervalMs: config.refreshInterval } : {}),
    ...(config.refetchCooldown !== undefined ? { cooldownMs: config.refetchCooldown } : {}),
    ...opts,
  });
  const status = await jwks.start(previous?.jwks);
  return {
    verifier: new JwtVerifier(config, tenants, jwks.getKey),
    namesUsers: config.userClaim !== undefined,
    jwks,
    status,
    close: () => jwks.close(),
  };
}
