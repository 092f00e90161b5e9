/**
 * What zod cannot see: cross-references (targets name backends, fallbacks name models, no cycles), and
 * settings that are legal but do nothing or hurt (warnings).
 */
import { trimEndRun } from '../core/trim-run.js';
import { isIP } from 'node:net';
import { MAX_MODEL_NAME } from '../openai/parse-request.js';
import { didYouMean, quoted, unknownName } from './suggest.js';
import type { KeyPath } from './problems.js';
import type { Profile } from './schema.js';
import { isLoopbackHost } from './hosts.js';
import { checkCostPricing, checkEscalations, checkStrategyTargets } from './routing-checks.js';
import { checkServiceUrls } from './service-url-checks.js';
import { getOwn } from './own-keys.js';
import { keyDigest } from '../core/key-digest.js';
import { HEADER_CHARS, headerKey, isFramingHeader, isHeaderName } from './header-names.js';

/** A message may be given as a function: built only while the result still lists problems (load.ts MAX_PROBLEMS). */
export type Report = (severity: 'error' | 'warning', path: KeyPath, message: string | (() => string), preferKey?: boolean) => void;

/** The header a backend's apiKey is sent in, by its kind (upstream/backends.ts). */
export function credentialHeaderOf(kind: Profile['backends'][string]['kind']): string {
  return kind === 'anthropic' ? 'x-api-key' : kind === 'azure-openai' ? 'api-key' : 'authorization';
}

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', '100.100.100.200', 'fd00:ec2::254']);

/**
 * Link-local and cloud metadata addresses, however written: `metadata.google.internal.` (a trailing dot is
 * the same name), `[::ffff:169.254.169.254]` and its hex form `[::ffff:a9fe:a9fe]` (IPv4-mapped IPv6).
 */
export function isLinkLocal(host: string): boolean {
  const h = trimEndRun(host.replace(/^\[|\]$/g, '').toLowerCase(), '.');
  if (METADATA_HOSTS.has(h)) return true;
  if (isIP(h) === 4) return h.startsWith('169.254.');
  if (isIP(h) === 6) {
    const mapped = /^(?:0*:)*:?ffff:(.+)$/.exec(h)?.[1];
    if (mapped !== undefined) {
      if (isIP(mapped) === 4) return mapped.startsWith('169.254.') || METADATA_HOSTS.has(mapped);
      const m = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(mapped);
      if (m) {
        const hi = Number.parseInt(m[1]!, 16);
        const lo = Number.parseInt(m[2]!, 16);
        const v4 = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
        return v4.startsWith('169.254.') || METADATA_HOSTS.has(v4);
      }
    }
    return /^fe[89ab]/.test(h) || METADATA_HOSTS.has(h);
  }
  return false;
}

export function checkReferences(p: Profile, report: Report): void {
  const backendNames = Object.keys(p.backends);
  // Who is calling, as only the gateway says it: a client's copies never reach a backend (relay/headers.ts), so a
  // match rule on one routed on a value any client forges — another tenant's own targets, by naming that tenant.
  const identityHeaders = new Set(['x-aigw-tenant', 'x-aigw-user']);
  for (const b of Object.values(p.backends))
    for (const h of [b.forwardIdentity?.tenantHeader, b.forwardIdentity?.userHeader])
      if (h !== undefined) identityHeaders.add(headerKey(h.toLowerCase()));
  const modelNames = Object.keys(p.models);
  const tenantNames = Object.keys(p.tenants ?? {});

  for (const [name, b] of Object.entries(p.backends)) {
    // One header in HTTP, however it is cased: each was sent (`x-team: a`, `x-team: b`), and beside the one apiKey fills
    // for the backend's kind two Authorization headers went upstream — a Node backend kept the first, the key unused.
    const seen = new Map<string, string>();
    const keyHeader = b.apiKey === undefined ? undefined : credentialHeaderOf(b.kind);
    for (const h of Object.keys(b.headers ?? {})) {
      const lower = h.toLowerCase();
      const before = seen.get(lower);
      if (isFramingHeader(h))
        report('error', ['backends', name, 'headers', h], `${lower} frames each request on its connection: the gateway sets it`);
      else if (before !== undefined)
        report('error', ['backends', name, 'headers', h], `${quoted(h)} is ${quoted(before)} too (header names ignore case): set it once`);
      else if (lower === keyHeader)
        report(
          'error',
          ['backends', name, 'headers', h],
          `apiKey sets ${lower} for a backend of kind ${b.kind}: set the key in one of them`,
        );
      seen.set(lower, before ?? h);
    }
    let url: URL | undefined;
    try {
      url = new URL(b.url);
    } catch {
      // Not quoted whole: a URL that does not parse may still hold a password (`https://user:pw@host:99999999`).
      report('error', ['backends', name, 'url'], `expected an http:// or https:// URL, got ${quoted(withoutUserinfo(b.url))}`);
    }
    if (!url) continue;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      report('error', ['backends', name, 'url'], `expected an http:// or https:// URL, got ${url.protocol}`);
    } else if (isLinkLocal(url.hostname)) {
      report('error', ['backends', name, 'url'], `link-local and cloud metadata addresses are refused (${url.hostname})`);
    } else if (url.search || url.hash) {
      report('error', ['backends', name, 'url'], 'expected a base URL without ?query or #fragment');
    } else if (url.username || url.password) {
      report('error', ['backends', name, 'url'], 'credentials in the URL are refused; use apiKey or headers');
    }
    if (b.mock && !isLoopbackHost(url.hostname)) {
      report(
        'error',
        ['backends', name, 'url'],
        `a mock backend listens on this machine: expected a loopback host (127.0.0.1, localhost, [::1]), got ${url.hostname}`,
      );
    }
  }

  const checkTargets = (targets: Profile['models'][string]['targets'], path: KeyPath) => {
    targets.forEach((t, i) => {
      if (!getOwn(p.backends, t.backend)) {
        report('error', [...path, i, 'backend'], () => unknownName('backend', t.backend, backendNames));
      }
    });
    if (targets.reduce((s, t) => s + t.weight, 0) <= 0) {
      report('error', path, 'the weights of these targets sum to 0: no request could be routed (give at least one a weight > 0)');
    }
  };

  for (const [name, m] of Object.entries(p.models)) {
    if (name.length > MAX_MODEL_NAME)
      report(
        'error',
        ['models', name],
        `a model name over ${MAX_MODEL_NAME} characters can never be requested (the gateway refuses longer names)`,
        true,
      );
    checkTargets(m.targets, ['models', name, 'targets']);
    // A name no request can carry (a space, a colon, non-ASCII) made a rule that silently never matched.
    if (m.sticky && !isHeaderName(m.sticky.header))
      report('error', ['models', name, 'sticky', 'header'], `expected a header name (${HEADER_CHARS}), got ${quoted(m.sticky.header)}`);
    m.match?.forEach((rule, j) => {
      checkTargets(rule.targets, ['models', name, 'match', j, 'targets']);
      // Every header of a rule must hold its value: one name in two cases asked one header for two values, a rule no
      // request met (its targets never used, unsaid).
      const named = new Map<string, string>();
      for (const h of Object.keys(rule.when.headers ?? {})) {
        const before = named.get(h.toLowerCase());
        named.set(h.toLowerCase(), before ?? h);
        if (before !== undefined)
          report(
            'error',
            ['models', name, 'match', j, 'when', 'headers', h],
            `${quoted(h)} is ${quoted(before)} too (header names ignore case): set it once`,
          );
        else if (!isHeaderName(h))
          report('error', ['models', name, 'match', j, 'when', 'headers', h], `expected a header name (${HEADER_CHARS}), got ${quoted(h)}`);
        else if (identityHeaders.has(headerKey(h.toLowerCase())))
          report(
            'error',
            ['models', name, 'match', j, 'when', 'headers', h],
            `${h.toLowerCase()} is an identity header: the gateway drops a client's copy and tells backends the tenant or user itself, so this rule would route on what any client sends — use when: { tenant: NAME }`,
          );
      }
      const t = rule.when.tenant;
      if (t !== undefined && !getOwn(p.tenants ?? {}, t)) {
        report('error', ['models', name, 'match', j, 'when', 'tenant'], () => unknownName('tenant', t, tenantNames));
      }
    });
    m.fallbacks.forEach((f, i) => {
      if (f === name) report('error', ['models', name, 'fallbacks', i], `"${name}" cannot fall back to itself`);
      else if (!getOwn(p.models, f)) report('error', ['models', name, 'fallbacks', i], () => unknownName('model', f, modelNames));
    });
  }
  reportFallbackCycles(p, report);
  checkEscalations(p, report);
  checkServiceUrls(p, report);
  checkCostPricing(p, report);

  const keyOwners = new Map<string, string>();
  for (const [name, t] of Object.entries(p.tenants ?? {})) {
    t.models?.forEach((m, i) => {
      if (!getOwn(p.models, m)) report('error', ['tenants', name, 'models', i], () => unknownName('model', m, modelNames));
    });
    for (const m of Object.keys(t.modelLimits ?? {})) {
      if (!getOwn(p.models, m))
        report('error', ['tenants', name, 'modelLimits', m], () => `unknown model ${quoted(m)}${didYouMean(m, modelNames)}`, true);
    }
    t.keys.forEach((k, i) => {
      // By digest, as the directory looks keys up: a plain key in one tenant and its sha256: in another (or one digest
      // in upper and lower case) are one key, and the later tenant took it over in silence.
      const digest = keyDigest(k);
      const other = keyOwners.get(digest);
      if (other !== undefined)
        report('error', ['tenants', name, 'keys', i], `this key is also a key of tenant "${other}": a key must name one tenant`);
      keyOwners.set(digest, name);
      if (k.startsWith('sha256:') && !/^sha256:[0-9a-f]{64}$/i.test(k)) {
        report('error', ['tenants', name, 'keys', i], 'expected sha256: followed by 64 hex digits');
      } else if (!k.startsWith('sha256:') && DIGEST_ANY_CASE.test(k)) {
        // Read as a plain key (keyDigest knows the lower-case prefix alone), the digest's own text would be the key:
        // the form meant to be safe to show would let in whoever saw it, and the real key would not.
        report('error', ['tenants', name, 'keys', i], 'a digest is read after sha256: alone: write the prefix sha256: in lower case');
      } else if (!/^[\x21-\x7e]+$/.test(k)) {
        // Never quoted: the key may come from the environment. A Bearer token carries no whitespace, api-key
        // headers are trimmed, and a header's bytes are not a key's Unicode text: no request could send it.
        report(
          'error',
          ['tenants', name, 'keys', i],
          'this key holds whitespace, a control character or a character beyond ASCII: no request can send it (a trailing newline from a file?)',
        );
      }
    });
  }
  const adminKey = p.admin.key;
  if (adminKey !== undefined) {
    // Never quoted: the key may come from the environment. HTTP drops whitespace at a header's end, and takes no
    // control character in one: such a key is a 401 on every admin request, `aigw top`'s included.
    if (!SENDABLE_HEADER_VALUE.test(adminKey)) {
      report(
        'error',
        ['admin', 'key'],
        'the admin key ends with whitespace or holds a control character or a character beyond Latin-1: no request can send it (a trailing newline from a file?)',
      );
    } else if (BEYOND_ASCII.test(adminKey)) {
      report(
        'warning',
        ['admin', 'key'],
        'the admin key holds characters beyond ASCII: aigw top sends them as Latin-1, curl and most clients as UTF-8, which does not match',
      );
    }
  }
  if (p.listen === p.admin.listen && !p.listen.endsWith(':0')) {
    report('error', ['admin', 'listen'], `the admin listener cannot share the gateway's address ${p.listen}`);
  }
}

/**
 * A value HTTP carries as it is: tab, visible ASCII and Latin-1 (no control character), nothing blank at its end.
 * Node reads a header's bytes as Latin-1: a character past U+00FF never arrives, whatever the client sends
 * (`aigw top` refuses such a key, curl sends its UTF-8 bytes, read as other characters).
 */
const SENDABLE_HEADER_VALUE = /^[\t\x20-\x7e\u0080-\u00ff]*[\x21-\x7e\u0080-\u00ff]$/;
/** A digest, its prefix in any case: written other than `sha256:` (`SHA256:`), tenants/keys.ts reads it as a plain key. */
const DIGEST_ANY_CASE = /^sha256:[0-9a-f]{64}$/i;
/** A character curl and most clients send as UTF-8 bytes, which the server reads as Latin-1. */
const BEYOND_ASCII = /[^\t\x20-\x7e]/;

/** Fallback chains must end: a → b → a would bounce a failing request forever. */
function reportFallbackCycles(p: Profile, report: Report): void {
  const state = new Map<string, 'visiting' | 'done'>();
  // Depth first with a stack of its own and one chain: recursing, with a copy of the chain at each level, a valid profile
  // of 10,000 models each falling back to the next was refused — "Maximum call stack size exceeded" — after 337 MB.
  const chain: string[] = [];
  const stack: { name: string; next: number }[] = [];
  const enter = (name: string) => {
    state.set(name, 'visiting');
    chain.push(name);
    stack.push({ name, next: 0 });
  };
  for (const root of Object.keys(p.models)) {
    if (state.has(root)) continue;
    enter(root);
    while (stack.length) {
      const top = stack.at(-1)!;
      const fallbacks = getOwn(p.models, top.name)?.fallbacks ?? [];
      if (top.next >= fallbacks.length) {
        state.set(top.name, 'done');
        chain.pop();
        stack.pop();
        continue;
      }
      const f = fallbacks[top.next++]!;
      if (f === top.name || !getOwn(p.models, f) || state.get(f) === 'done') continue;
      if (state.get(f) === 'visiting') {
        const cycle = [...chain.slice(chain.indexOf(f)), f];
        if (cycle.length > 2) report('error', ['models', cycle[0]!, 'fallbacks'], `fallback cycle: ${cycle.join(' → ')}`);
        continue;
      }
      enter(f);
    }
  }
}

/**
 * Names the contract fixes for features still being built: refused with a clear message until they work,
 * never accepted and ignored. Each feature's block went when it landed (issue 13's routing fields were the
 * last); what remains here is a rule about how tenants are identified.
 */
export function checkNotYetBuilt(p: Profile, report: Report): void {
  for (const [name, t] of Object.entries(p.tenants ?? {})) {
    if (t.keys.length === 0 && !t.mtls && !p.auth?.jwt)
      report('error', ['tenants', name, 'keys'], 'a tenant needs keys (or an mtls rule, or auth.jwt to name it)');
  }
}

export function checkWarnings(p: Profile, raw: unknown, fromEnv: ReadonlySet<string>, report: Report): void {
  const tenants = Object.entries(p.tenants ?? {});
  const usedBackends = new Set<string>();
  for (const [name, m] of Object.entries(p.models)) {
    const groups: [KeyPath, typeof m.targets][] = [[['models', name, 'targets'], m.targets]];
    m.match?.forEach((r, j) => {
      groups.push([['models', name, 'match', j, 'targets'], r.targets]);
    });
    for (const [path, targets] of groups) {
      const total = targets.reduce((s, t) => s + t.weight, 0);
      targets.forEach((t, i) => {
        usedBackends.add(t.backend);
        if (t.weight === 0 && total > 0) report('warning', [...path, i, 'weight'], 'weight 0: this target never receives traffic');
        const mock = getOwn(p.backends, t.backend)?.mock;
        if (!mock) return;
        const gap = mock.tokensPerSecond > 0 ? (1000 * mock.tokensPerChunk) / mock.tokensPerSecond : 0;
        const silence = Math.max(gap, mock.ttft);
        if (silence > p.timeouts.idle) {
          report(
            'warning',
            ['timeouts', 'idle'],
            `idle timeout ${p.timeouts.idle}ms is shorter than backend "${t.backend}"'s own silence ` +
              `(${Math.round(silence)}ms between tokens or before the first): its streams would be cut`,
          );
        }
      });
    }
    for (const [path, targets] of groups) checkStrategyTargets(m.strategy, path, targets, report);
    if (m.sticky && m.targets.filter((t) => t.weight > 0).length < 2 && !m.match) {
      report('warning', ['models', name, 'sticky'], 'sticky routing does nothing with a single target');
    }
    if (tenants.length > 0 && !tenants.some(([, t]) => !t.models || t.models.includes(name))) {
      report('warning', ['models', name], 'no tenant may use this model (every tenant has an allow-list without it)', true);
    }
  }
  for (const name of Object.keys(p.backends)) {
    if (!usedBackends.has(name)) report('warning', ['backends', name], 'no model routes to this backend', true);
  }
  for (const [name, t] of tenants) {
    t.keys.forEach((k, i) => {
      const path = `tenants.${name}.keys[${i}]`;
      if (!fromEnv.has(path) && !k.startsWith('sha256:')) {
        report(
          'warning',
          ['tenants', name, 'keys', i],
          'a literal API key in the profile: prefer ${VAR} from the environment or its sha256: hex',
        );
      }
    });
  }
  const adminHost = p.admin.listen.slice(0, p.admin.listen.lastIndexOf(':'));
  if (p.admin.enabled && !p.admin.key && !isLoopbackHost(adminHost)) {
    report(
      'warning',
      ['admin', 'listen'],
      `the admin listener at ${p.admin.listen} is reachable beyond this machine without admin.key: anyone who reaches it can read stats, events and metrics and reset them`,
    );
  }
  const jwks = p.auth?.jwt?.jwks;
  const jwksUrl = jwks !== undefined && /^http:\/\//i.test(jwks) && URL.canParse(jwks) ? new URL(jwks) : undefined;
  if (jwksUrl && !isLoopbackHost(jwksUrl.hostname)) {
    report(
      'warning',
      ['auth', 'jwt', 'jwks'],
      `the key set is fetched over plain http from ${jwksUrl.host}: anyone on the way can swap the keys and sign tokens for any tenant; use https`,
    );
  }
  const host = p.listen.slice(0, p.listen.lastIndexOf(':'));
  if (tenants.length === 0 && !isLoopbackHost(host)) {
    report('warning', ['listen'], `no tenants are configured, so anyone who can reach ${p.listen} can use every model without a key`);
  }
  const rb = (raw as { limits?: { responseBuffer?: Record<string, unknown> } })?.limits?.responseBuffer;
  if (p.limits.responseBuffer.mode === 'passthrough' && rb) {
    for (const key of ['maxBytes', 'onOverflow'] as const) {
      if (key in rb)
        report('warning', ['limits', 'responseBuffer', key], `does nothing in passthrough mode (only mode: buffered holds bodies)`, true);
    }
  }
  if (
    p.limits.responseBuffer.mode === 'buffered' &&
    p.limits.responseBuffer.onOverflow === 'envoy' &&
    p.limits.maxRequestBytes > p.limits.responseBuffer.maxBytes
  ) {
    report(
      'warning',
      ['limits', 'maxRequestBytes'],
      `onOverflow: envoy rehearses one Envoy buffer, which also holds request bodies: in the cluster, requests over ` +
        `${p.limits.responseBuffer.maxBytes} bytes get 413 (set maxRequestBytes to maxBytes to rehearse that)`,
      true,
    );
  }
  if (p.limits.responseBuffer.mode === 'buffered' && p.limits.responseBuffer.onOverflow === 'truncate') {
    report(
      'warning',
      ['limits', 'responseBuffer', 'onOverflow'],
      `truncate cuts every non-streamed answer over ${p.limits.responseBuffer.maxBytes} bytes on purpose ` +
        `(Envoy's default-buffer failure): for load tests only`,
    );
  }
}

/**
 * A URL as written with what may hold a credential replaced: anything between `//` and the last `@` before the path
 * (a user and password, a `?` in it too) and the query and fragment (Azure's `?api-key=`).
 */
function withoutUserinfo(url: string): string {
  return url.replace(/\/\/[^/]*@/, '//…@').replace(/[?#][\s\S]*$/, '?…');
}
