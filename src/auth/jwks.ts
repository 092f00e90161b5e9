/**
 * The identity provider's public keys (a JWKS), from a file or an http(s) URL: loaded at start, refreshed on an
 * interval and when a token names an unknown `kid` (at most once per cooldown, however many such tokens come),
 * and kept when a refresh fails — a JWKS server that goes down does not take the gateway's logins with it.
 */
import { isAbsolute, resolve } from 'node:path';
import type { CryptoKey, createLocalJWKSet, FlattenedJWSInput, JSONWebKeySet, JWSHeaderParameters, JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { monotonicNow } from '../core/clock.js';
import { REDACTED } from '../core/scrub.js';
import { readSmallFile } from '../core/small-file.js';
import { loadJose } from './jose.js';
import { JWT_ALGORITHMS, usableKeys } from './jwks-keys.js';
import { timerDelay } from '../core/timer-delay.js';
import { aigwVersion } from '../core/version.js';

export { JWT_ALGORITHMS };

export interface JwksOptions {
  /** Routine refresh, default 5 minutes. */
  refreshIntervalMs?: number;
  /** Shortest time between two fetches caused by unknown kids or a missing key set, default 30 s (as jose's). */
  cooldownMs?: number;
  /** For a URL: connect + headers + body, default 5 s. */
  timeoutMs?: number;
  /** A larger document is refused, default 1 MiB. */
  maxBytes?: number;
  /** Relative file paths resolve against this (the profile's directory). */
  baseDir?: string;
  now?: () => number;
}

const JwksDocument = z.object({ keys: z.array(z.looseObject({ kty: z.string() })).max(1000) });
/**
 * How many keys one token may be tried against when its header matches several in the key set (no `kid` during
 * a rotation, a `kid` reused, a key listed twice). Real sets hold a handful; a key set may hold 1,000, and each
 * try is a signature check a forged token would otherwise buy for free.
 */
export const MAX_KEY_CANDIDATES = 8;
/** Kids remembered as verified by a kid-less key of the set (an issuer's few; only a verified signature adds one). */
const REMEMBERED_KIDS = 64;

export class JwksUnavailable extends Error {
  readonly code = 'ERR_AIGW_JWKS_UNAVAILABLE';
}

export interface JwksStatus {
  loaded: boolean;
  keys: number;
  fetches: number;
  lastError: string | undefined;
}

export class JwksSource {
  private keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  /** The set's keys that name no `kid`, when it has some: tried for a token whose kid names none of its keys. */
  private kidless: ReturnType<typeof createLocalJWKSet> | undefined;
  /**
   * The kids of tokens a kid-less key of this set verified, to that key: such a kid names no key of the set for good,
   * and each token of it was a miss that waited for the cooldown's fetch. Emptied when the set is replaced.
   */
  private kidlessByKid = new Map<string, CryptoKey>();
  private keyCount = 0;
  private inflight: Promise<void> | undefined;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private fetches = 0;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly opts: Required<Omit<JwksOptions, 'baseDir'>>;
  private readonly location: string;

  constructor(location: string, opts: JwksOptions = {}) {
    this.opts = {
      refreshIntervalMs: opts.refreshIntervalMs ?? 300_000,
      cooldownMs: opts.cooldownMs ?? 30_000,
      timeoutMs: opts.timeoutMs ?? 5000,
      maxBytes: opts.maxBytes ?? 1024 * 1024,
      // Monotonic: on the wall clock, a step back (an NTP correction, a VM restored) left now − lastAttempt negative
      // for as long as the step, and no unknown kid (nor a key set that never loaded) was fetched for until then.
      now: opts.now ?? monotonicNow,
    };
    const remote = /^https?:\/\//i.test(location);
    this.location = remote || isAbsolute(location) ? location : resolve(opts.baseDir ?? '.', location);
  }

  /**
   * Loads the keys once and starts the interval refresh. Never rejects: a failure leaves the set empty, retried later.
   * `previous` is the source this one replaces on a reload: when it reads the same location, its keys are where this
   * one starts, so a reload (a tenant added) while the key server is down keeps the logins a failed refresh keeps.
   */
  async start(previous?: JwksSource): Promise<JwksStatus> {
    if (previous?.location === this.location && previous.keySet) {
      this.keySet = previous.keySet;
      this.kidless = previous.kidless;
      this.keyCount = previous.keyCount;
    }
    await this.refresh();
    // Held to Node's timer bound: past ~24.8 days (a refreshInterval of 600h, "as good as never") Node ran the
    // interval every millisecond, a fetch of the identity provider's keys each time.
    this.timer = setInterval(() => void this.refresh(), timerDelay(this.opts.refreshIntervalMs));
    this.timer.unref();
    return this.status();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  status(): JwksStatus {
    return { loaded: this.keySet !== undefined, keys: this.keyCount, fetches: this.fetches, lastError: this.lastError };
  }

  /**
   * For jose's jwtVerify: the key for a token's header, refetching the set once (per cooldown) when its kid is unknown.
   * A token that misses while a fetch is under way waits for that fetch rather than being refused: the fetch started
   * the cooldown, and the rotated key it brings is the one every token of the rotation names.
   */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (!this.keySet) {
      if (!this.mayFetch()) throw new JwksUnavailable(`no keys loaded from the JWKS (${this.lastError ?? 'not fetched yet'})`);
      await this.refresh();
      if (!this.keySet) throw new JwksUnavailable(`no keys loaded from the JWKS (${this.lastError})`);
    }
    try {
      return await this.keySet(header, token);
    } catch (e) {
      if (!noMatchingKey(e)) throw e;
      // First the kid-less keys in hand, checked against the token's signature: a kid no key names (a thumbprint, for a
      // set made from a PEM) stays unknown after any fetch, and its tokens each waited for the cooldown's fetch — all of
      // an issuer's logins held for as long as its key server took (5 s a hang) every cooldown, the key already here.
      const tried = header.kid === undefined ? undefined : this.kidless;
      const inHand = tried ? await this.kidlessVerifying(header, token) : undefined;
      if (inHand?.key) return inHand.key;
      if (this.mayFetch()) {
        await this.refresh();
        try {
          return await this.keySet(header, token);
        } catch (again) {
          if (!noMatchingKey(again)) throw again;
        }
      }
      // A key that names no kid is tried for a token that names one, as Envoy's jwt_authn does (RFC 7517 leaves `kid`
      // optional): jose matches a token's kid only to a key of that kid, and a set made without kids refused every
      // token its issuer gave one. After the fetch, so that a rotated key of that kid is found first.
      if (header.kid === undefined || !this.kidless) throw e;
      // The keys checked above verify none of it, and are the set's still: said so, not checked again — a forgery would
      // buy each of those signature checks twice.
      if (this.kidless === tried && inHand?.checked) throw new (await loadJose()).errors.JWSSignatureVerificationFailed();
      return await this.kidless({ ...header, kid: undefined }, token);
    }
  };

  /**
   * A kid-less key of the set whose signature check the token passes (remembered for its kid, so that the kid's next
   * tokens are checked once, by jwtVerify); without one, whether any was checked (none verified) — the token then waits
   * for a fetch as any miss.
   */
  private async kidlessVerifying(
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<{ key: CryptoKey; checked?: undefined } | { key?: undefined; checked: boolean }> {
    const kid = header.kid!;
    const remembered = this.kidlessByKid.get(kid);
    if (remembered) return { key: remembered };
    const kidless = this.kidless!;
    let candidates: AsyncIterable<CryptoKey> | CryptoKey[];
    try {
      candidates = [await kidless({ ...header, kid: undefined }, token)];
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') return { checked: false };
      candidates = e as AsyncIterable<CryptoKey>;
    }
    const { flattenedVerify } = await loadJose();
    let tried = 0;
    for await (const key of candidates) {
      if (++tried > MAX_KEY_CANDIDATES) break;
      try {
        await flattenedVerify(token, key, { algorithms: JWT_ALGORITHMS });
      } catch {
        continue;
      }
      // Set anew by a fetch meanwhile: what this set's key verified says nothing of the new one's.
      if (this.kidless !== kidless) return { key };
      if (this.kidlessByKid.size >= REMEMBERED_KIDS) this.kidlessByKid.delete(this.kidlessByKid.keys().next().value!);
      this.kidlessByKid.set(kid, key);
      return { key };
    }
    return { checked: tried > 0 };
  }

  /** Whether a miss may wait for a fetch: one is under way (joined, never a second), or the cooldown is over. */
  private mayFetch(): boolean {
    return this.inflight !== undefined || this.opts.now() - this.lastAttempt >= this.opts.cooldownMs;
  }

  /**
   * A read begun now, for a reload (what the operator changed must be what it reads): a fetch under way was asked
   * before the change — an unknown kid's or the routine one — and answers the set as it was then, a key taken out
   * still in it. It is let finish (one fetch at a time), then the set is read again.
   */
  async reread(): Promise<void> {
    if (this.inflight) await this.inflight;
    await this.refresh();
  }

  /** One fetch at a time; concurrent callers share it. */
  refresh(): Promise<void> {
    this.inflight ??= this.fetchOnce().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchOnce(): Promise<void> {
    this.lastAttempt = this.opts.now();
    this.fetches++;
    try {
      const text = await this.read();
      // A leading byte-order mark is skipped, as WHATWG's json() (jose's own remote set, browsers) skips it.
      const parsed = JwksDocument.safeParse(JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text));
      if (!parsed.success) throw new Error('not a JWKS document ({"keys": [...]})');
      const jose = await loadJose();
      const doc = { keys: await usableKeys(jose, parsed.data.keys) } as JSONWebKeySet;
      // An answer with nothing usable in it (`{"keys": []}`, only `oct` or encryption keys) is a failed refresh: installed, it
      // would refuse every token until the next fetch — one unknown-kid token from anyone could cause it.
      if (doc.keys.length === 0) throw new Error('the JWKS document has no usable RSA, EC or OKP key');
      const kidless = doc.keys.filter((k) => k.kid === undefined);
      this.keySet = jose.createLocalJWKSet(doc);
      this.kidless = kidless.length > 0 ? jose.createLocalJWKSet({ keys: kidless }) : undefined;
      this.kidlessByKid = new Map();
      this.keyCount = doc.keys.length;
      this.lastError = undefined;
    } catch (e) {
      // The previous keys stay in use: a failed refresh costs nothing but its log line.
      this.lastError = (e as Error).message.slice(0, 200);
    }
  }

  private async read(): Promise<string> {
    if (!/^https?:\/\//i.test(this.location)) {
      // Only a regular file, read up to maxBytes: a FIFO or /dev/zero named here is refused, not waited on.
      const buf = await readSmallFile(this.location, this.opts.maxBytes);
      if (!Buffer.isBuffer(buf)) throw new Error(`cannot read the JWKS file (${buf.problem})`);
      return buf.toString('utf8');
    }
    const { timeoutMs, maxBytes } = this.opts;
    const signal = AbortSignal.timeout(timeoutMs);
    // Loaded when a key set is fetched: all of undici is 4.8 MiB of heap, and most gateways never fetch one.
    const { request } = await import('undici');
    const res = await request(this.location, {
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      // Named: a key server behind Cloudflare (its Browser Integrity Check) or with GitHub's rule refuses a request that
      // names no agent — 403, no key, every token refused; jose's own remote set sends one for that reason. RFC 7517's
      // media type is accepted beside JSON's.
      headers: { accept: 'application/jwk-set+json, application/json', 'user-agent': `aigw/${aigwVersion()}` },
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`JWKS server answered ${res.statusCode}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new Error(`JWKS document over ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

const noMatchingKey = (e: unknown): boolean => (e as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY';

/**
 * A key set's location as it may be printed: a URL's user and password (undici sends them as Basic credentials,
 * and they may have come from the environment) and its query and fragment are left out.
 */
export function shownLocation(location: string): string {
  // Textual, not through URL: a location that does not parse (a port out of range) is printed too.
  return location.replace(/^([a-z][a-z\d+.-]*:\/\/)[^/?#]*@/i, `$1${REDACTED}@`).split(/[?#]/, 1)[0]!;
}
