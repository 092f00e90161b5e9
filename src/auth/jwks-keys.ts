/**
 * Which keys of a JWKS document the gateway keeps: asymmetric signing keys that import and that jose's key set would
 * ever pick for a token (auth/jwks.ts installs them). Pure but for jose's key import.
 */
import type { JWK } from 'jose';

/** The algorithms a token may be signed with: asymmetric signatures only; a JWKS cannot make an HMAC or unsigned token acceptable. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const SIGNATURE_ALGORITHMS: ReadonlySet<string> = new Set(JWT_ALGORITHMS);
/** Asymmetric key types only: an `oct` (shared secret) key in a JWKS must never verify anything. */
const KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);

/** The algorithm a key without `alg` is imported for, to check its material (jose picks per token later). */
const DEFAULT_ALG: Readonly<Record<string, string>> = {
  RSA: 'RS256',
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
  Ed25519: 'EdDSA',
};

/**
 * The asymmetric keys of a set that import. jose's key set retries a key that failed to import on every token
 * it matches and does not count it among the candidates it hands out: a set of broken keys would make each
 * kid-less token, forged or not, cost an import attempt per key.
 */
export async function usableKeys(
  jose: typeof import('jose'),
  keys: readonly { kty: string; alg?: unknown; crv?: unknown; use?: unknown; key_ops?: unknown; ext?: unknown }[],
) {
  const usable = [];
  for (const listed of keys) {
    // A SPIFFE bundle marks its JWT signing keys `jwt-svid` (its X.509 roots `x509-svid`): read as the signing keys they are.
    const k = listed.use === 'jwt-svid' ? { ...listed, use: 'sig' } : listed;
    if (!KEY_TYPES.has(k.kty) || !checksSignatures(k)) continue;
    const alg = typeof k.alg === 'string' ? k.alg : DEFAULT_ALG[k.kty === 'RSA' ? 'RSA' : String(k.crv)];
    // A key for another algorithm (`ECDH-ES`, `RSA-OAEP`) imports, but no token it could check is ever accepted.
    if (alg === undefined || !SIGNATURE_ALGORITHMS.has(alg)) continue;
    try {
      const key = await jose.importJWK(k as JWK, alg);
      // jose checks no signature with an RSA key under 2,048 bits (a legacy 1,024-bit one): no token could pass with it.
      const bits = key instanceof Uint8Array ? undefined : (key.algorithm as { modulusLength?: unknown }).modulusLength;
      if (k.kty === 'RSA' && !(typeof bits === 'number' && bits >= 2048)) continue;
      usable.push(k);
    } catch {
      // Not a key this set can use: left out, as an `oct` key is.
    }
  }
  return usable;
}

/**
 * Whether jose's key set would ever pick the key for a signature (its isUsableJWK): `use` absent or `sig`, `key_ops`
 * absent or distinct strings with `verify`, `ext` absent or a boolean (its `alg` is usableKeys' to check). Counted
 * usable otherwise, an answer of only encryption keys passed the check that keeps the last good keys, and refused
 * every token until the next fetch.
 */
function checksSignatures(k: { use?: unknown; key_ops?: unknown; ext?: unknown }): boolean {
  if (k.use !== undefined && k.use !== 'sig') return false;
  if (k.ext !== undefined && typeof k.ext !== 'boolean') return false;
  const ops = k.key_ops;
  if (ops === undefined) return true;
  return Array.isArray(ops) && ops.every((o, i) => typeof o === 'string' && ops.indexOf(o) === i) && ops.includes('verify');
}
