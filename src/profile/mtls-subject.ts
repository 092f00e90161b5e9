/**
 * The subject and the subjectAltName an mtls rule names (`tenants.X.mtls: { subject, san }`), parsed: validation and
 * the auth stage read them alike.
 */
import { isIPv6 } from 'node:net';

/**
 * Other names for subject attributes → the one node:tls gives a certificate's subject (OpenSSL's short name), lower
 * case: Windows' and .NET's `E`, `S`, `T`, and RFC 4519's long names. Written otherwise, a rule asked for an attribute
 * no certificate's subject has, and never matched.
 */
const ATTRIBUTE_ALIASES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  commonname: 'cn',
  countryname: 'c',
  localityname: 'l',
  stateorprovincename: 'st',
  s: 'st',
  streetaddress: 'street',
  organizationname: 'o',
  organizationalunitname: 'ou',
  domaincomponent: 'dc',
  userid: 'uid',
  e: 'emailaddress',
  email: 'emailaddress',
  t: 'title',
  givenname: 'gn',
  g: 'gn',
  surname: 'sn',
  dnq: 'dnqualifier',
});

/**
 * `CN=acme-gw, O=Acme` → [['cn','acme-gw'], ['o','Acme']] (attribute names lower-cased, and as node:tls names them:
 * ATTRIBUTE_ALIASES); undefined if malformed.
 */
export function parseSubject(text: string): [string, string][] | undefined {
  const pairs: [string, string][] = [];
  let current = '';
  const flush = (): boolean => {
    const eq = current.indexOf('=');
    if (eq <= 0) return false;
    const name = current.slice(0, eq).trim().toLowerCase();
    const value = current.slice(eq + 1).trim();
    if (!/^[a-z][a-z0-9.-]*$/.test(name) || value === '') return false;
    pairs.push([ATTRIBUTE_ALIASES[name] ?? name, value]);
    current = '';
    return true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) current += text[++i];
    else if (c === ',') {
      if (!flush()) return undefined;
    } else current += c;
  }
  if (!flush()) return undefined;
  return pairs;
}

/** A rule's subjectAltName, as auth/mtls.ts compares a certificate's entries with it. */
export interface SanRule {
  /** As Node names the entry's type (`DNS`, `URI`, `email`, `IP Address`); undefined: any type. */
  type: string | undefined;
  value: string;
  /**
   * `ip`: the value as an IPv6 address in one spelling (ipv6Key), when it is one; `dns`: the value in lower case, when
   * it may name a DNS entry (a DNS name is the same name in any case, RFC 6125 §6.4.1).
   */
  ip: string | undefined;
  dns: string | undefined;
}

/** SAN types as rules may write them → as Node names them. */
const SAN_TYPES: Readonly<Record<string, string>> = {
  dns: 'DNS',
  uri: 'URI',
  email: 'email',
  ip: 'IP Address',
  'ip address': 'IP Address',
};

/**
 * An IPv6 address in one spelling (WHATWG URL's: compressed, lower case). Node renders a certificate's as eight groups
 * of upper-case hex (`IP Address:2001:DB8:0:0:0:0:0:1`), where a profile writes `2001:db8::1`: compared as text, an
 * IPv6 rule never matched the certificate it names. Undefined for anything else.
 */
export function ipv6Key(value: string): string | undefined {
  if (!isIPv6(value)) return undefined;
  try {
    return new URL(`http://[${value}]/`).hostname;
  } catch {
    // A zone id (fe80::1%eth0): no certificate holds one.
    return undefined;
  }
}

/** ASCII letters in lower case, nothing else touched (a certificate's DNS names are ASCII: IDNs are written as punycode). */
export const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

/** `URI:spiffe://acme/gw` → its type as Node names it and its value; without a known type, any type. */
export function parseSanRule(text: string): SanRule {
  const m = /^(dns|uri|email|ip address|ip):(.+)$/i.exec(text);
  const type = m ? SAN_TYPES[m[1]!.toLowerCase()] : undefined;
  const value = m ? m[2]! : text;
  return {
    type,
    value,
    ip: type === undefined || type === 'IP Address' ? ipv6Key(value) : undefined,
    dns: type === undefined || type === 'DNS' ? asciiLower(value) : undefined,
  };
}

/** A rule as parsed: its subject's pairs and its SAN, either absent. */
export interface ParsedMtlsRule {
  subject: readonly [string, string][] | undefined;
  san: SanRule | undefined;
}

/**
 * Whether every certificate `later` names, `earlier` names too, as auth/mtls.ts matches them: `earlier`'s subject pairs
 * are all `later`'s, and its SAN (if any) matches every entry `later`'s does. The first matching rule names the
 * tenant, so such a later rule is never reached.
 */
export function ruleCovers(earlier: ParsedMtlsRule, later: ParsedMtlsRule): boolean {
  const pairs = later.subject ?? [];
  if (!(earlier.subject ?? []).every(([k, v]) => pairs.some(([k2, v2]) => k2 === k && v2 === v))) return false;
  const a = earlier.san;
  if (a === undefined) return true;
  const b = later.san;
  if (b === undefined || (a.type !== undefined && a.type !== b.type)) return false;
  // What `b` matches, by its type (an untyped `b` matches its very value in any type: only the same value covers it).
  if (b.type === 'DNS') return a.dns === b.dns;
  if (b.type === 'IP Address' && b.ip !== undefined) return a.ip === b.ip;
  return a.value === b.value;
}

/** The most distinct subject pairs a rule is looked up by (every subset of them); past it, compared with every rule. */
const MAX_INDEXED_PAIRS = 10;

const subjectKey = (pairs: readonly (readonly [string, string])[]): string =>
  pairs
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join('\u0000');

const sanKeys = (san: SanRule): string[] => [
  `v:${san.value}`,
  ...(san.dns === undefined ? [] : [`d:${san.dns}`]),
  ...(san.ip === undefined ? [] : [`i:${san.ip}`]),
];

/**
 * Rules in profile order, indexed so that a later rule is compared only with those that may cover it (ruleCovers): an
 * earlier rule's subject pairs are a subset of the later's, or, without a subject, its SAN is the later's. Compared
 * with every earlier rule, the check was quadratic: 24,000 mtls tenants took validate (and each start and reload) 22 s.
 */
export class RuleIndex<T> {
  private readonly all: { rule: ParsedMtlsRule; owner: T }[] = [];
  private readonly bySubject = new Map<string, number[]>();
  private readonly bySan = new Map<string, number[]>();

  add(rule: ParsedMtlsRule, owner: T): void {
    const i = this.all.length;
    this.all.push({ rule, owner });
    const put = (map: Map<string, number[]>, key: string) => {
      const list = map.get(key);
      if (list) list.push(i);
      else map.set(key, [i]);
    };
    if (rule.subject?.length) put(this.bySubject, subjectKey(distinctPairs(rule.subject)));
    else if (rule.san) for (const k of sanKeys(rule.san)) put(this.bySan, k);
  }

  /** The owner of the first rule added that covers `rule`, or undefined. */
  coveredBy(rule: ParsedMtlsRule): T | undefined {
    let first = Number.POSITIVE_INFINITY;
    const consider = (ids: readonly number[] | undefined) => {
      for (const i of ids ?? []) if (i < first && ruleCovers(this.all[i]!.rule, rule)) first = i;
    };
    const pairs = distinctPairs(rule.subject ?? []);
    if (pairs.length <= MAX_INDEXED_PAIRS) {
      for (let mask = 1; mask < 1 << pairs.length; mask++)
        consider(this.bySubject.get(subjectKey(pairs.filter((_, b) => (mask >> b) & 1))));
    } else for (const ids of this.bySubject.values()) consider(ids);
    if (rule.san) for (const k of sanKeys(rule.san)) consider(this.bySan.get(k));
    return first === Number.POSITIVE_INFINITY ? undefined : this.all[first]!.owner;
  }
}

function distinctPairs(pairs: readonly (readonly [string, string])[]): (readonly [string, string])[] {
  const seen = new Set<string>();
  return pairs.filter(([k, v]) => {
    const key = `${k}=${v}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
