/** Throwaway signing keys (made per test run, never committed) and a token factory for the JWT tests. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export const ISSUER = 'https://idp.example.com/';
export const AUDIENCE = 'aigw';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function signingKey(kid: string, alg: 'RS256' | 'ES256' | 'EdDSA'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, jwk };
}

export const jwks = (...keys: (SigningKey | JWK)[]) => ({ keys: keys.map((k) => ('jwk' in k ? k.jwk : k)) });

export function jwksFile(doc: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'aigw-jwks-')), 'jwks.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

const now = () => Math.floor(Date.now() / 1000);

/** A token for `key` with sensible defaults (acme, our issuer and audience, 10 minutes); `claims` override them. */
export async function token(key: SigningKey, claims: JWTPayload & Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const payload: JWTPayload = { sub: 'acme', iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

export { now };
