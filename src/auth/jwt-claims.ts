/**
 * A verified token's claims → who is calling: the tenant (a configured one), the models the token allows, and
 * the user. Pure; every value is checked, since the identity provider's claims end up in headers and labels.
 */

export interface ClaimNames {
  tenantClaim: string;
  modelsClaim?: string | undefined;
  userClaim?: string | undefined;
}

export interface JwtIdentity {
  tenant: string;
  /** The models this token may use (it narrows the tenant's allow-list); undefined when the token says nothing. */
  models?: readonly string[];
  /**
   * At most 256 characters, none a control, a line break or half a surrogate pair, no space at either end: safe to
   * forward as a header value (forward-identity.ts writes its UTF-8 bytes) and to log.
   */
  user?: string;
}

export type ClaimFailure = 'missing_claim' | 'invalid_claim' | 'unknown_tenant';

export type ClaimResult = { ok: true; identity: JwtIdentity } | { ok: false; reason: ClaimFailure; claim: string };

const MAX_MODELS = 1000;
const MAX_NAME = 256;
/**
 * A user's name as text: no control (C0, DEL, C1: CR and LF among them), line or paragraph separator or lone surrogate,
 * and no space at either end. Letters of any script pass — a name such as `José Núñez` or an internationalised address
 * is a user, where visible ASCII alone refused the whole token (a 401 for each of that person's requests).
 */
const USER_TEXT = /^[^\s\p{Cc}\p{Cs}\p{Zl}\p{Zp}](?:[^\p{Cc}\p{Cs}\p{Zl}\p{Zp}]*[^\s\p{Cc}\p{Cs}\p{Zl}\p{Zp}])?$/u;

/**
 * A claim by name: first the whole name as one key (namespaced claims such as `https://acme.com/tenant` hold
 * dots), then as a dotted path into nested objects (`org.id`). Own properties only.
 */
export function claimAt(payload: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  let node: unknown = payload;
  for (const part of name.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** A models claim: a JSON array of names, or one space-separated string (as OAuth's `scope`). */
function modelsOf(v: unknown): readonly string[] | undefined {
  const list = typeof v === 'string' ? v.split(' ').filter(Boolean) : v;
  if (!Array.isArray(list) || list.length > MAX_MODELS) return undefined;
  if (!list.every((m): m is string => typeof m === 'string' && m.length > 0 && m.length <= MAX_NAME)) return undefined;
  return list;
}

/**
 * A claim as text: a string, or a safe integer as its decimal digits (past 2^53, or a fraction, JSON's reading is not
 * the issuer's number); anything else as it is, for the caller to refuse.
 */
function textOf(v: unknown): unknown {
  return typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
}

export function identityFromClaims(
  payload: Readonly<Record<string, unknown>>,
  names: ClaimNames,
  tenants: ReadonlySet<string>,
): ClaimResult {
  const rawTenant = claimAt(payload, names.tenantClaim);
  if (rawTenant === undefined || rawTenant === null) return { ok: false, reason: 'missing_claim', claim: names.tenantClaim };
  // An id an identity provider writes as a JSON number (`"org_id": 4217`) names the tenant of its decimal text.
  const tenant = textOf(rawTenant);
  if (typeof tenant !== 'string') return { ok: false, reason: 'invalid_claim', claim: names.tenantClaim };
  if (!tenants.has(tenant)) return { ok: false, reason: 'unknown_tenant', claim: names.tenantClaim };
  const identity: JwtIdentity = { tenant };

  if (names.modelsClaim !== undefined) {
    const raw = claimAt(payload, names.modelsClaim);
    if (raw !== undefined) {
      const models = modelsOf(raw);
      if (!models) return { ok: false, reason: 'invalid_claim', claim: names.modelsClaim };
      identity.models = models;
    }
  }

  if (names.userClaim !== undefined) {
    const raw = claimAt(payload, names.userClaim);
    // Empty or null names nobody, as an absent claim: Supabase writes `"email": ""` for a user who signs in by phone,
    // and refused, each such user was 401 on every request. The bearer may still not name a user itself (userByToken).
    if (raw !== undefined && raw !== null && raw !== '') {
      const user = textOf(raw);
      if (typeof user !== 'string' || user.length > MAX_NAME || !USER_TEXT.test(user))
        return { ok: false, reason: 'invalid_claim', claim: names.userClaim };
      identity.user = user;
    }
  }
  return { ok: true, identity };
}

/** The models a request may use: the tenant's allow-list narrowed by the token's (undefined = no limit from either). */
export function allowedModels(
  tenantModels: readonly string[] | undefined,
  tokenModels: readonly string[] | undefined,
): readonly string[] | undefined {
  if (tokenModels === undefined) return tenantModels;
  if (tenantModels === undefined) return tokenModels;
  const token = new Set(tokenModels);
  return tenantModels.filter((m) => token.has(m));
}
