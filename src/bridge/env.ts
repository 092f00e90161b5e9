/**
 * Environment variables a profile reads, and stand-ins for the ones that are unset, so a profile can be
 * checked (import, export without --include-secrets) before the secrets exist. A stand-in is never written out:
 * the profile keeps `${VAR}`, and Secrets are written from the profile as written.
 */

import { referable } from '../core/env-refs.js';

type Env = Readonly<Record<string, string | undefined>>;

const VAR_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g;

/**
 * A value valid wherever an imported variable stands: a URL, an API key, a tenant key. Each variable has its own:
 * two tenants' keys must differ (a key of two tenants is refused), and a message shows which variable it was.
 */
export function standIn(name: string): string {
  return `http://unset.invalid/${name}`;
}

/** Variables referenced without a default that the environment does not set, in order of appearance. */
export function unsetVariables(text: string, env: Env): string[] {
  const out = new Set<string>();
  for (const m of referable(text).matchAll(VAR_RE)) if (m[2] === undefined && !env[m[1]!]) out.add(m[1]!);
  return [...out];
}

/** Variables in the credential positions of a profile as written: backend API keys and tenant keys. */
export function credentialVariables(raw: unknown): string[] {
  const out = new Set<string>();
  const scan = (v: unknown) => {
    if (typeof v === 'string') for (const m of referable(v).matchAll(VAR_RE)) out.add(m[1]!);
  };
  const r = raw as { backends?: Record<string, { apiKey?: unknown }>; tenants?: Record<string, { keys?: unknown }> } | undefined;
  for (const b of Object.values(r?.backends ?? {})) scan(b?.apiKey);
  for (const t of Object.values(r?.tenants ?? {})) if (Array.isArray(t?.keys)) t.keys.forEach(scan);
  return [...out];
}

/** The environment with each of `names` that is unset standing in as its own `standIn(name)`. */
export function withStandIns(env: Env, names: readonly string[]): Env {
  const out: Record<string, string | undefined> = { ...env };
  for (const n of names) if (!out[n]) out[n] = standIn(n);
  return out;
}
