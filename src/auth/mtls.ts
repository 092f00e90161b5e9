/**
 * Client certificates → tenants (`tenants.X.mtls: { subject | san }`), pure. A rule's `subject` is a list of
 * RDN pairs (`CN=acme-gw, O=Acme`; `\,` escapes a comma) that must all be in the certificate's subject; its
 * `san` is one subjectAltName entry, typed (`URI:spiffe://acme/gw`, `DNS:…`, `email:…`, `IP:…`) or not (any
 * type). Only a certificate the TLS layer verified against tls.clientCa is ever mapped.
 */
import { X509Certificate } from 'node:crypto';
import { asciiLower, ipv6Key, parseSanRule, parseSubject, type SanRule } from '../profile/mtls-subject.js';
import type { Profile } from '../profile/schema.js';

export { parseSubject };

type Tenants = NonNullable<Profile['tenants']>;

/** The parts of node:tls's PeerCertificate this module reads. */
export interface PeerCert {
  subject?: Readonly<Record<string, string | string[] | undefined>> | undefined;
  /** Node's rendering: `DNS:a.example, URI:spiffe://x, IP Address:127.0.0.1`, ambiguous values JSON-quoted. */
  subjectaltname?: string | undefined;
  /** `AA:BB:…`, as node:tls and X509Certificate write it. */
  fingerprint256?: string | undefined;
  /** The next certificate up the chain (getPeerCertificate(true)); a self-signed one is its own. */
  issuerCertificate?: PeerCert | undefined;
  /** The certificate's DER: a link up the chain is checked by its signature (chainReaches). */
  raw?: Buffer | undefined;
  /** notAfter as node:tls writes it (`Dec  6 09:01:03 2026 GMT`). */
  valid_to?: string | undefined;
}

export interface SanEntry {
  type: string;
  value: string;
}

interface Rule {
  tenant: string;
  subject: [string, string][] | undefined;
  san: SanRule | undefined;
}

export type MtlsResult = { ok: true; tenant: string } | { ok: false; reason: 'no_certificate' | 'unverified' | 'unmapped' };

/** Node's subjectaltname string → entries; a JSON-quoted value (one holding `,` or `"`) is decoded. */
export function parseSans(text: string | undefined): SanEntry[] {
  const out: SanEntry[] = [];
  if (!text) return out;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon).trim();
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      let j = colon + 2;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(colon + 1, j + 1)) as string;
      } catch {
        return out;
      }
      next = text.indexOf(', ', j + 1);
    } else {
      next = text.indexOf(', ', colon + 1);
      value = text.slice(colon + 1, next < 0 ? undefined : next);
    }
    out.push({ type, value });
    if (next < 0) break;
    i = next + 2;
  }
  return out;
}

export interface MtlsRules {
  readonly rules: readonly Rule[];
  /**
   * The fingerprints of tls.clientCa's certificates now (tls-options.ts caFingerprints). node:tls gives a connection
   * the verdict of its handshake, under the client CA of that moment, for its life: kept alive across a reload that
   * removed that CA, its certificate still came out `authorized`. A certificate names a tenant only while its chain
   * reaches one of these. Undefined: not checked.
   */
  readonly trusted?: ReadonlySet<string> | undefined;
  /**
   * The same CAs' certificates: a certificate of the chain one of them signed reaches it, whatever else the client
   * sent beside it (node:tls links the chain through a certificate the client sent before one the CA file holds).
   */
  readonly trustedCas?: readonly X509Certificate[] | undefined;
}

/** The rules of every tenant with an `mtls` block, in profile order; a malformed subject is a problem, not a rule. */
export function compileMtlsRules(tenants: Tenants | undefined): { rules: MtlsRules; problems: { tenant: string; message: string }[] } {
  const rules: Rule[] = [];
  const problems: { tenant: string; message: string }[] = [];
  for (const [tenant, t] of Object.entries(tenants ?? {})) {
    if (!t.mtls) continue;
    const subject = t.mtls.subject === undefined ? undefined : parseSubject(t.mtls.subject);
    if (t.mtls.subject !== undefined && !subject) {
      problems.push({ tenant, message: `expected a subject such as "CN=acme-gw, O=Acme", got ${JSON.stringify(t.mtls.subject)}` });
      continue;
    }
    rules.push({ tenant, subject, san: t.mtls.san === undefined ? undefined : parseSanRule(t.mtls.san) });
  }
  return { rules: { rules }, problems };
}

function subjectMatches(want: [string, string][], cert: PeerCert): boolean {
  const have = new Map<string, string[]>();
  for (const [k, v] of Object.entries(cert.subject ?? {})) {
    if (v === undefined) continue;
    have.set(k.toLowerCase(), Array.isArray(v) ? v : [v]);
  }
  return want.every(([k, v]) => have.get(k)?.includes(v) ?? false);
}

function sanMatches(want: SanRule, sans: SanEntry[]): boolean {
  return sans.some(
    (s) =>
      (want.type === undefined || s.type === want.type) &&
      (s.value === want.value ||
        (want.ip !== undefined && s.type === 'IP Address' && ipv6Key(s.value) === want.ip) ||
        (want.dns !== undefined && s.type === 'DNS' && asciiLower(s.value) === want.dns)),
  );
}

/** Longer chains than a client's are not walked (the objects are node:tls's; a root is its own issuer). */
const MAX_CHAIN = 16;

/**
 * Whether a certificate or one of its issuers, as the handshake's chain gives them, is one of `trusted` or was signed
 * by one of `cas` — following a link only when the certificate's signature verifies with its issuer's key. node:tls
 * links the chain by name and key identifier alone (X509_check_issued), from the certificates the client sent first,
 * extras included: a client of a CA about to be removed sent a made-up certificate with that CA's name and key id,
 * "issued" in the name of a CA that stays, and that CA's public certificate — its handshake verified under the old
 * CA, and after the reload the chain reached the kept CA and the connection was still served as its tenant.
 */
function chainReaches(cert: PeerCert, trusted: ReadonlySet<string>, cas: readonly X509Certificate[]): boolean {
  let c: PeerCert = cert;
  for (let i = 0; i < MAX_CHAIN; i++) {
    if (c.fingerprint256 !== undefined && trusted.has(c.fingerprint256)) return true;
    if (issuedByOneOf(c, cas)) return true;
    const up = c.issuerCertificate;
    if (up === undefined || up === c || !signedBy(c, up)) return false;
    c = up;
  }
  return false;
}

/** Whether one of `cas` issued `cert` (names, key ids, and its signature). */
function issuedByOneOf(cert: PeerCert, cas: readonly X509Certificate[]): boolean {
  if (cert.raw === undefined || cas.length === 0) return false;
  try {
    const x = new X509Certificate(cert.raw);
    return cas.some((ca) => x.checkIssued(ca) && x.verify(ca.publicKey));
  } catch {
    return false;
  }
}

/** Those of `cas` that issued `cert` (names, key ids, and its signature): a root and its renewal both may. */
function issuersAmong(cert: PeerCert, cas: readonly X509Certificate[]): X509Certificate[] {
  if (cert.raw === undefined || cas.length === 0) return [];
  try {
    const x = new X509Certificate(cert.raw);
    return cas.filter((ca) => x.checkIssued(ca) && x.verify(ca.publicKey));
  } catch {
    return [];
  }
}

/** Whether `issuer`'s key signed `cert` (both as DER); a certificate that does not parse signs and is signed by nothing. */
function signedBy(cert: PeerCert, issuer: PeerCert): boolean {
  if (cert.raw === undefined || issuer.raw === undefined) return false;
  try {
    return new X509Certificate(cert.raw).verify(new X509Certificate(issuer.raw).publicKey);
  } catch {
    return false;
  }
}

/**
 * The tenant a client certificate names. `authorized` is the TLS socket's verdict (chain verified against
 * tls.clientCa at the handshake); an unverified certificate names nobody, whatever it says, nor one whose chain
 * reaches no CA `rules.trusted` holds now. The first matching rule wins;
 * a rule with both subject and san needs both.
 */
export function tenantOfPeer(rules: MtlsRules, authorized: boolean, cert: PeerCert | undefined): MtlsResult {
  if (!cert || (cert.subject === undefined && cert.subjectaltname === undefined)) return { ok: false, reason: 'no_certificate' };
  if (!authorized || (rules.trusted !== undefined && !chainReaches(cert, rules.trusted, rules.trustedCas ?? [])))
    return { ok: false, reason: 'unverified' };
  let sans: SanEntry[] | undefined;
  for (const r of rules.rules) {
    if (r.subject && !subjectMatches(r.subject, cert)) continue;
    if (r.san) {
      sans ??= parseSans(cert.subjectaltname);
      if (!sanMatches(r.san, sans)) continue;
    }
    return { ok: true, tenant: r.tenant };
  }
  return { ok: false, reason: 'unmapped' };
}

/**
 * When a client certificate stops naming anyone (ms since the epoch): the earliest notAfter of it and of each issuer
 * its chain reaches it through, each link's signature checked (as chainReaches follows them), up to the CA `anchors`
 * trusts now (tls.clientCa), whose own date is read from there. node:tls checks the dates at the handshake only, and a
 * connection lives as long as its client keeps it busy; OpenSSL refuses a chain with any link expired — an
 * intermediate CA past its term too, whose client was served on a connection kept busy while a new one was refused.
 * From the CA trusted now: the connection's chain ends in the root of its handshake, which a reload may have renewed
 * (its name and key kept, a later date). A date that does not read is already past.
 */
export function certificateExpiry(cert: PeerCert | undefined, anchors?: Pick<MtlsRules, 'trusted' | 'trustedCas'>): number {
  let expires = notAfter(cert);
  let c = cert;
  for (let i = 0; c !== undefined && i < MAX_CHAIN; i++) {
    if (c.fingerprint256 !== undefined && anchors?.trusted?.has(c.fingerprint256)) break;
    // The latest of them: OpenSSL builds a new handshake's chain through an issuer still valid.
    const cas = anchors?.trustedCas ? issuersAmong(c, anchors.trustedCas) : [];
    if (cas.length > 0) return Math.min(expires, Math.max(...cas.map((ca) => notAfter({ valid_to: ca.validTo }))));
    const up: PeerCert | undefined = c.issuerCertificate;
    if (up === undefined || up === c || !signedBy(c, up)) break;
    expires = Math.min(expires, notAfter(up));
    c = up;
  }
  return expires;
}

function notAfter(cert: PeerCert | undefined): number {
  const t = Date.parse(cert?.valid_to ?? '');
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}
