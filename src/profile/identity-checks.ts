/**
 * What the identity and TLS settings need beyond their shape: TLS files that can be read and form a usable
 * certificate and key, mtls rules that parse and a CA to verify them with, identity header names the gateway
 * does not own, JWT tenants to name. Files are read here, synchronously and only when `tls` or a JWKS file is
 * configured: a profile is checked at start and on reload, never on the request path.
 */
import { isAbsolute, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { MAX_PROFILE_FILE_BYTES, readSmallFileSync } from '../core/small-file.js';
import type { Report } from './checks.js';
import { forwardIdentityProblems } from './header-names.js';
import { parseSanRule, parseSubject, RuleIndex } from './mtls-subject.js';
import type { Profile } from './schema.js';
import { quoted } from './suggest.js';

/** Whether a JWKS location is fetched (a URL) rather than read (a file). */
export const isJwksUrl = (location: string): boolean => /^https?:\/\//i.test(location);

/** A profile's file path, absolute: relative paths are relative to the profile's own directory. */
export const profilePath = (path: string, baseDir: string): string => (isAbsolute(path) ? path : resolve(baseDir, path));

function readable(path: string, baseDir: string): Buffer | string {
  const r = readSmallFileSync(profilePath(path, baseDir), MAX_PROFILE_FILE_BYTES);
  return Buffer.isBuffer(r) ? r : `cannot read ${path} (${r.problem})`;
}

function checkTls(tls: NonNullable<Profile['tls']>, baseDir: string, report: Report): void {
  const files: Record<string, Buffer> = {};
  for (const key of ['cert', 'key', 'clientCa'] as const) {
    const path = tls[key];
    if (path === undefined) continue;
    const r = readable(path, baseDir);
    if (typeof r === 'string') report('error', ['tls', key], r);
    else files[key] = r;
  }
  if (tls.requireClientCert && tls.clientCa === undefined)
    report('error', ['tls', 'requireClientCert'], 'requireClientCert needs tls.clientCa (the CA that signs client certificates)');
  if (!files.cert || !files.key || (tls.clientCa !== undefined && !files.clientCa)) return;
  try {
    createSecureContext({ cert: files.cert, key: files.key, ...(files.clientCa ? { ca: files.clientCa } : {}) });
  } catch (e) {
    // OpenSSL's reason ("key values mismatch", "no start line"); it never holds key material.
    report('error', ['tls'], `the certificate, key and CA do not form a usable TLS setup: ${(e as Error).message}`);
  }
}

export function checkIdentity(p: Profile, baseDir: string, report: Report): void {
  if (p.tls) checkTls(p.tls, baseDir, report);
  const tenants = Object.entries(p.tenants ?? {});
  // In profile order, as auth/mtls.ts tries them: the first rule a certificate matches names its tenant.
  const earlier = new RuleIndex<string>();
  for (const [name, t] of tenants) {
    if (!t.mtls) continue;
    const subject = t.mtls.subject === undefined ? undefined : parseSubject(t.mtls.subject);
    if (t.mtls.subject !== undefined && !subject)
      report(
        'error',
        ['tenants', name, 'mtls', 'subject'],
        `expected a subject such as "CN=acme-gw, O=Acme", got ${quoted(t.mtls.subject)}`,
      );
    if (!p.tls?.clientCa)
      report('error', ['tenants', name, 'mtls'], 'mtls tenants need tls.clientCa (the CA whose client certificates name them)');
    if (t.mtls.subject !== undefined && !subject) continue;
    const rule = { subject, san: t.mtls.san === undefined ? undefined : parseSanRule(t.mtls.san) };
    // Served as the earlier tenant, with its limits and allow-list, and nothing said: as a key in two tenants is.
    const owner = earlier.coveredBy(rule);
    if (owner !== undefined)
      report(
        'error',
        ['tenants', name, 'mtls'],
        `every certificate this rule matches also matches tenant "${owner}"'s, which comes first: the first matching rule names the tenant`,
      );
    earlier.add(rule, name);
  }
  for (const [name, b] of Object.entries(p.backends)) {
    if (!b.forwardIdentity) continue;
    for (const problem of forwardIdentityProblems(b.forwardIdentity))
      report('error', ['backends', name, 'forwardIdentity', problem.key], problem.message);
    const own = new Set(Object.keys(b.headers ?? {}).map((h) => h.toLowerCase()));
    for (const key of ['tenantHeader', 'userHeader'] as const) {
      const h = b.forwardIdentity[key];
      if (h !== undefined && own.has(h.toLowerCase()))
        report('error', ['backends', name, 'forwardIdentity', key], `${h} is also in backends.${name}.headers: one of them would be lost`);
    }
  }
  const jwt = p.auth?.jwt;
  if (jwt) {
    if (tenants.length === 0)
      report('error', ['auth', 'jwt'], 'auth.jwt needs tenants: a token is accepted only when its tenantClaim names a configured tenant');
    if (!isJwksUrl(jwt.jwks)) {
      const r = readable(jwt.jwks, baseDir);
      // The file may be written later (a sidecar): the gateway starts, refusing tokens until it can read it.
      if (typeof r === 'string') report('warning', ['auth', 'jwt', 'jwks'], `${r}: every token is refused until it can be read`);
    }
  }
}

/** Relative file paths made absolute (against the profile's directory), so the running gateway never depends on its cwd. */
export function resolveFilePaths(p: Profile, baseDir: string): void {
  if (p.tls) {
    p.tls.cert = profilePath(p.tls.cert, baseDir);
    p.tls.key = profilePath(p.tls.key, baseDir);
    if (p.tls.clientCa !== undefined) p.tls.clientCa = profilePath(p.tls.clientCa, baseDir);
  }
  const jwt = p.auth?.jwt;
  if (jwt && !isJwksUrl(jwt.jwks)) jwt.jwks = profilePath(jwt.jwks, baseDir);
}
