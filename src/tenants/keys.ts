/**
 * API keys → tenants. Keys are looked up by their SHA-256 digest (a hash-table lookup on a digest never
 * compares the secret itself, so timing reveals nothing about it); the profile may hold the plain key
 * (from the environment) or `sha256:<hex>`. Logs and events only ever see a short fingerprint.
 */
import { keyDigest, sha256Hex } from '../core/key-digest.js';
import { isSpace } from '../core/whitespace.js';
import { aigwError, type AigwError } from '../core/errors.js';
import type { Profile, TenantConfig } from '../profile/schema.js';

export interface Tenant {
  readonly name: string;
  readonly config: TenantConfig;
  /** The public models this tenant may use; undefined allows all. */
  readonly allowed: ReadonlySet<string> | undefined;
}

/** The first 8 hex digits of a key's digest: enough to tell keys apart in a log, useless to an attacker. */
export function fingerprint(key: string): string {
  return `sha256:${sha256Hex(key).slice(0, 8)}`;
}

/** Keys remembered after a successful lookup (a client keeps sending the same few keys). */
const REMEMBERED_KEYS = 1024;
/** Longer keys are always hashed: the memory kept per remembered key stays small. */
const REMEMBERED_KEY_CHARS = 256;

export class TenantDirectory {
  private readonly byDigest = new Map<string, Tenant>();
  /**
   * Keys that authenticated recently → their tenant, so a key's digest is computed once, not per request
   * (~2 % of a proxied request's CPU). Only keys that matched are added (a flood of wrong keys hashes every
   * one and cannot evict the right ones faster than they are used), oldest first out. Looking up a plain key
   * compares it with a remembered one only when their string hashes collide (V8 seeds them per process),
   * which an attacker cannot aim at; the directory is rebuilt on reload, so a removed key is forgotten.
   */
  private readonly remembered = new Map<string, Tenant>();
  readonly tenants = new Map<string, Tenant>();

  constructor(profile: Profile) {
    for (const [name, config] of Object.entries(profile.tenants ?? {})) {
      const t: Tenant = { name, config, allowed: config.models ? new Set(config.models) : undefined };
      this.tenants.set(name, t);
      for (const k of config.keys) this.byDigest.set(keyDigest(k), t);
    }
  }

  get enabled(): boolean {
    return this.tenants.size > 0;
  }

  /**
   * The caller's tenant, from `Authorization: Bearer`, `api-key` or `x-api-key` (as Azure and Anthropic
   * clients send). Anything ambiguous — a key header sent twice, two headers carrying different keys, a
   * non-Bearer scheme, an empty key — is refused rather than guessed at.
   */
  authenticate(rawHeaders: readonly string[]): Tenant | AigwError {
    const found = keyOf(rawHeaders);
    if (found === undefined) return unauthorized('missing API key: send Authorization: Bearer <key>');
    if (typeof found !== 'string') return found;
    const known = this.remembered.get(found);
    if (known) return known;
    const tenant = this.byDigest.get(sha256Hex(found));
    if (!tenant) return unauthorized(`invalid API key (${fingerprint(found)})`);
    if (found.length <= REMEMBERED_KEY_CHARS) this.remember(found, tenant);
    return tenant;
  }

  private remember(key: string, tenant: Tenant): void {
    const r = this.remembered;
    if (r.size >= REMEMBERED_KEYS) r.delete(r.keys().next().value!);
    r.set(key, tenant);
  }
}

/** The key headers' bits; a record without a prototype: a header named `__proto__` (9 letters, as `x-api-key`) is none. */
const KEY_HEADERS: Readonly<Record<string, number>> = Object.assign(Object.create(null) as Record<string, number>, {
  authorization: 1,
  'api-key': 2,
  'x-api-key': 4,
});

/**
 * The one key the key headers carry; undefined when none is sent (the auth stage may then look at the client
 * certificate); the 401 that says why there is not exactly one.
 */
export function keyOf(raw: readonly string[]): string | undefined | AigwError {
  let key: string | undefined;
  let from: string | undefined;
  // Which key headers were seen, as bits (no Set per request): authorization 1, api-key 2, x-api-key 4.
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length !== 13 && n.length !== 7 && n.length !== 9) continue;
    const name = n.toLowerCase();
    const bit = KEY_HEADERS[name];
    if (bit === undefined) continue;
    if (seen & bit) return unauthorized(`send one ${name} header, not several`);
    seen |= bit;
    const value = raw[i + 1]!;
    let k: string;
    if (name === 'authorization') {
      const token = bearerToken(value);
      if (token === undefined) return unauthorized('expected Authorization: Bearer <key>');
      k = token;
    } else k = value.trim();
    if (!k) continue;
    if (key !== undefined && k !== key) return unauthorized(`${from} and ${name} carry different keys: send one key`);
    key = k;
    from = name;
  }
  return key;
}

const BEARER = 'bearer';

/**
 * The token of `Bearer <token>`, read as /^Bearer +(\S+)$/i reads it (the scheme in any case, one or more
 * spaces, then a token with no whitespace to the end) without a match array on every request; undefined when
 * the value is not that. Its test holds it to the expression.
 */
export function bearerToken(value: string): string | undefined {
  const n = value.length;
  if (n < BEARER.length + 2) return undefined;
  for (let i = 0; i < BEARER.length; i++) if ((value.charCodeAt(i) | 0x20) !== BEARER.charCodeAt(i)) return undefined;
  let start = BEARER.length;
  if (value.charCodeAt(start) !== 0x20) return undefined;
  while (value.charCodeAt(start) === 0x20) start++;
  if (start === n) return undefined;
  for (let i = start; i < n; i++) if (isSpace(value.charCodeAt(i))) return undefined;
  return value.slice(start);
}

export function unauthorized(message: string): AigwError {
  return aigwError('invalid_api_key', message, { headers: { 'www-authenticate': 'Bearer' } });
}

/** 403 for a model outside the tenant's allow-list (docs/reliability.md, case 49: 403 chosen over a 404 that hides existence). */
export function modelNotAllowed(tenant: Tenant, model: string): AigwError | undefined {
  if (!tenant.allowed || tenant.allowed.has(model)) return undefined;
  return aigwError('model_not_allowed', `tenant ${tenant.name} may not use the model \`${model}\``, { param: 'model' });
}
