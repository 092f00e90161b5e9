/**
 * The secrets a profile holds — backend credentials and headers, tenants' plain keys, the admin key, the
 * Redis password, tracing headers, and every value that came from the environment — so the gateway can
 * scrub them from anything a backend sends back (core/scrub.ts). Values read from `${VAR}` are known only
 * while loading, so they travel with the frozen profile in a side table rather than in the profile itself.
 */
import type { Profile } from './schema.js';

const fromEnvironment = new WeakMap<Profile, readonly string[]>();

export function rememberEnvValues(profile: Profile, values: readonly string[]): void {
  fromEnvironment.set(profile, values);
}

/** A derived profile (mock URLs filled in) keeps the secrets of the one it came from. */
export function carrySecrets(from: Profile, to: Profile): void {
  const v = fromEnvironment.get(from);
  if (v) fromEnvironment.set(to, v);
}

export function secretsOf(p: Profile): string[] {
  const out: string[] = [...(fromEnvironment.get(p) ?? [])];
  for (const b of Object.values(p.backends)) {
    if (b.apiKey) out.push(b.apiKey);
    for (const v of Object.values(b.headers ?? {})) out.push(v);
  }
  for (const t of Object.values(p.tenants ?? {})) for (const k of t.keys) if (!k.startsWith('sha256:')) out.push(k);
  if (p.admin.key) out.push(p.admin.key);
  const redis = p.limits.store?.redis;
  const password = redis ? /\/\/(?:[^:@/]*:)?([^@/]+)@/.exec(redis)?.[1] : undefined;
  if (password) out.push(password);
  for (const v of Object.values(p.observe.tracing?.headers ?? {})) out.push(v);
  return out;
}

/** A header whose value is a credential by its name (`authorization`, `x-api-key`, `x-goog-api-key`, a token…). */
const CREDENTIAL_HEADER = /auth|key|token|secret|password|cookie|signature/i;

/**
 * The profile's credentials only — what a response header must never carry back: backend keys and credential
 * headers, tenants' plain keys, the admin key, the Redis password. Narrower than secretsOf, whose every
 * configured header value and environment value made a response's `content-type: application/json` (a
 * backend's `accept` header) or `openai-model` (a `${VAR:-default}`) a "secret", and dropped them.
 */
export function credentialsOf(p: Profile): string[] {
  const out: string[] = [];
  const credentialHeaders = (headers: Record<string, string> | undefined) => {
    for (const [name, v] of Object.entries(headers ?? {})) if (CREDENTIAL_HEADER.test(name)) out.push(v);
  };
  for (const b of Object.values(p.backends)) {
    if (b.apiKey) out.push(b.apiKey);
    credentialHeaders(b.headers);
  }
  for (const t of Object.values(p.tenants ?? {})) for (const k of t.keys) if (!k.startsWith('sha256:')) out.push(k);
  if (p.admin.key) out.push(p.admin.key);
  const redis = p.limits.store?.redis;
  const password = redis ? /\/\/(?:[^:@/]*:)?([^@/]+)@/.exec(redis)?.[1] : undefined;
  if (password) out.push(password);
  credentialHeaders(p.observe.tracing?.headers);
  // Lowercased too: HTTP lowercases a header name, and a backend may lowercase what it echoes.
  for (const c of out.slice()) if (c.toLowerCase() !== c) out.push(c.toLowerCase());
  return out;
}
