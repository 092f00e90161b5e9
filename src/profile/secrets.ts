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

/** The values `${VAR}`s filled in, as remembered: a profile built on another thread carries them across (cli/reload-thread.ts). */
export function envValuesOf(profile: Profile): readonly string[] {
  return fromEnvironment.get(profile) ?? [];
}

/** A derived profile (mock URLs filled in) keeps the secrets of the one it came from. */
export function carrySecrets(from: Profile, to: Profile): void {
  const v = fromEnvironment.get(from);
  if (v) fromEnvironment.set(to, v);
}

/**
 * A Redis URL's credentials as ioredis reads them (WHATWG URL: the userinfo ends at the last `@`): its user and
 * password, and a `password` query parameter — each as written and decoded.
 */
function redisPasswords(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const out: string[] = [];
  // As written, and as ioredis decodes it (a query's `+` is a space).
  const add = (raw: string, plusIsSpace = false) => {
    if (!raw) return;
    out.push(raw);
    try {
      const decoded = decodeURIComponent(plusIsSpace ? raw.replace(/\+/g, ' ') : raw);
      if (decoded !== raw) out.push(decoded);
    } catch {
      // Not percent-encoded text: the raw value is what a message could show.
    }
  };
  add(u.password);
  add(u.username);
  for (const part of u.search.slice(1).split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).toLowerCase() === 'password') add(part.slice(eq + 1), true);
  }
  return out;
}

/**
 * A credential header's value written with its scheme (`Bearer sk-…`, `Basic dXNl…`, `Token …`): its token on its own
 * too. The server is sent the token and names it bare — OpenAI's 401 quotes the key it refused, a debug header echoes
 * it — so known as the whole value alone, it reached clients in error messages and response headers. Only under a
 * credential's name (CREDENTIAL_HEADER): the last word of `x-title: My Test App` is no secret to scrub from messages.
 */
const SCHEME_AND_TOKEN = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*[ \t]+(\S+)$/;

function headerSecrets(name: string, value: string): string[] {
  const m = CREDENTIAL_HEADER.test(name) ? SCHEME_AND_TOKEN.exec(value) : null;
  return m ? [value, m[1]!] : [value];
}

export function secretsOf(p: Profile): string[] {
  const out: string[] = [...(fromEnvironment.get(p) ?? [])];
  for (const b of Object.values(p.backends)) {
    if (b.apiKey) out.push(b.apiKey);
    for (const [h, v] of Object.entries(b.headers ?? {})) out.push(...headerSecrets(h, v));
  }
  for (const t of Object.values(p.tenants ?? {})) for (const k of t.keys) if (!k.startsWith('sha256:')) out.push(k);
  if (p.admin.key) out.push(p.admin.key);
  const redis = p.limits.store?.redis;
  if (redis) out.push(...redisPasswords(redis));
  for (const [h, v] of Object.entries(p.observe.tracing?.headers ?? {})) out.push(...headerSecrets(h, v));
  return out;
}

/**
 * A header whose value is a credential by its name: one of its words (between `-` or `_`) is `authorization`,
 * `authentication`, `auth`, `bearer`, `jwt`, `secret`, `password`, `cookie`, `signature`, `credential(s)`, or a
 * key or token (`key`, `apikey`, `authkey`, `access-token`, `tokens`…) — so `x-api-key`, `x-goog-api-key`,
 * `ocp-apim-subscription-key`, `x-amz-security-token`, `cf-access-jwt-assertion`, but not `x-portkey-provider` (a
 * substring match made "anthropic" a credential and dropped every `anthropic-*` response header).
 */
const CREDENTIAL_HEADER =
  /(?:^|[-_])(?:authori[sz]ation|authentication|auth|bearer|jwt|secret|password|passwd|passphrase|cookie|signature|credentials?|(?:api|access|auth|session)?-?(?:keys?|tokens?))(?:[-_]|$)/i;

/** Whether a header's value is a credential by its name (CREDENTIAL_HEADER): what export writes only as a reference. */
export const isCredentialHeader = (name: string): boolean => CREDENTIAL_HEADER.test(name);

/**
 * Whether a profile value at this key path may be a credential, whatever its type: a field named as one (`apiKey`,
 * `keys` and each key in it, `key`, `secret`, `password`, … by CREDENTIAL_HEADER's words), a `headers` mapping or
 * any value in one, or a Redis URL (its password). A problem message names such a value's kind, never its text: a tenant's key written
 * as a string where a list goes was quoted whole in the refused reload's event and on stderr.
 */
export function mayHoldSecret(path: readonly (string | number)[]): boolean {
  // `tls.key` names the key's file: a path, which its problems must show.
  if (path[0] === 'tls') return false;
  let last: string | undefined;
  let parent: string | undefined;
  for (const seg of path) if (typeof seg === 'string') [parent, last] = [last, seg];
  if (last === undefined) return false;
  return last === 'headers' || parent === 'headers' || last === 'redis' || CREDENTIAL_HEADER.test(last);
}

/**
 * What each backend is sent that a response header of its must never carry back: its key and its credential
 * headers, also lowercased (HTTP lowercases a header name; a backend may lowercase what it echoes). A backend is
 * sent nothing else of the profile's secrets — clients' keys, the admin key, the Redis password never leave —
 * and checking every response against every tenant's key cost 100 µs per response with 1,000 keys. Narrower
 * than secretsOf, whose every configured value made a response's `content-type: application/json` a "secret".
 */
export function credentialsByBackend(p: Profile): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, b] of Object.entries(p.backends)) {
    const list: string[] = [];
    if (b.apiKey) list.push(b.apiKey);
    for (const [h, v] of Object.entries(b.headers ?? {})) if (CREDENTIAL_HEADER.test(h)) list.push(...headerSecrets(h, v));
    for (const c of list.slice()) if (c.toLowerCase() !== c) list.push(c.toLowerCase());
    out.set(name, list);
  }
  return out;
}
