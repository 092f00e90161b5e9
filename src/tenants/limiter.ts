/**
 * Admission and settlement for limited tenants: which limits apply (tenant-wide and per model), what a
 * request reserves, the 429 and OpenAI's x-ratelimit-* headers, and what happens when the shared store
 * fails — open (serve, each replica limiting to limit ÷ replicas locally, loudly) or closed (503).
 */
import { aigwError, type AigwError } from '../core/errors.js';
import type { MaybePromise } from '../core/maybe-promise.js';
import { escapeControls } from '../core/printable.js';
import { ownString } from '../core/own-string.js';
import type { EventBus } from '../events/bus.js';
import type { Profile } from '../profile/schema.js';
import type { Tenant } from './keys.js';
import { MemoryLimitStore } from './limits/memory-store.js';
import { monotonicNow } from '../core/clock.js';
import type { RedisLimitStore } from './limits/redis-store.js';
import type {
  AdmitInput,
  AdmitOutcome,
  BudgetSpec,
  LimitKind,
  LimitSpec,
  LimitState,
  LimitStore,
  Reservation,
  WindowState,
} from './limits/store.js';
import { LimitKeyError } from './limits/store.js';

/** Past it a tenant 429 says `x-should-retry: false`: twice a minute's window, which no rpm or tpm of it asks. */
const LONGEST_SLEPT_WAIT_MS = 120_000;

export interface Admission {
  reservation: Reservation | undefined;
  headers: Record<string, string>;
  store: LimitStore;
}

/** OpenAI's reset format: `20ms`, `1s`, `6m0s`. */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

/** The window of `kind` that binds: the refused key's, else the one with the least left (the first among equals). */
function binding(states: readonly LimitState[], kind: 'requests' | 'tokens', refusedKey: string | undefined): WindowState | undefined {
  let best: WindowState | undefined;
  for (let i = 0; i < states.length; i++) {
    const w = states[i]![kind];
    if (w === undefined) continue;
    if (states[i]!.key === refusedKey) return w;
    if (best === undefined || w.remaining < best.remaining) best = w;
  }
  return best;
}

/**
 * OpenAI's x-ratelimit-* headers, for the limit of each kind that binds. The first of each kind (tenant-wide) said
 * "98 requests left" on a per-model limit's 429, and a client pacing itself by them kept sending.
 */
function rateHeaders(states: readonly LimitState[], refused?: { kind: LimitKind; key: string }): Record<string, string> {
  const h: Record<string, string> = {};
  const req = binding(states, 'requests', refused?.kind === 'requests' ? refused.key : undefined);
  const tok = binding(states, 'tokens', refused?.kind === 'tokens' ? refused.key : undefined);
  if (req) {
    h['x-ratelimit-limit-requests'] = String(req.limit);
    h['x-ratelimit-remaining-requests'] = String(req.remaining);
    h['x-ratelimit-reset-requests'] = formatReset(req.resetMs);
  }
  if (tok) {
    h['x-ratelimit-limit-tokens'] = String(tok.limit);
    h['x-ratelimit-remaining-tokens'] = String(tok.remaining);
    h['x-ratelimit-reset-tokens'] = formatReset(tok.resetMs);
  }
  return h;
}

/** A profile budget as the stores count it: micro-dollars per window. */
function budgetSpec(b: { usd: number; per: number } | undefined): BudgetSpec | undefined {
  return b && { microUsd: b.usd * 1e6, windowMs: b.per };
}

/** The 429's message: which limit, and when it frees (or that it never will for this request). */
export function refusalMessage(
  kind: LimitKind,
  key: string,
  permanent: boolean,
  retryMs: number,
  tokens: number,
  microUsd: number,
): string {
  const what =
    kind === 'tokens'
      ? `tokens (this request reserves ${tokens})`
      : kind === 'budget'
        ? `budget (this request may cost up to $${(microUsd / 1e6).toFixed(6)})`
        : kind;
  return permanent
    ? `Rate limit for ${key} on ${what} can never admit this request`
    : `Rate limit reached for ${key} on ${what}. Try again in ${(retryMs / 1000).toFixed(3)}s.`;
}

/**
 * A tenant's part of a limit key. Tenant names may hold `/` (and never `%`): escaped, a key's first `/` is where
 * its model begins, so tenant `a/m`'s limits are never tenant `a`'s limits for model `m` (the Redis store also
 * takes its hash tag from before that `/`). Names without `/` — nearly all — keep their keys as they were.
 */
function tenantKey(name: string): string {
  return name.includes('/') ? name.replaceAll('/', '%2F') : name;
}

/** A limit key as the tenant wrote it, for a message. */
function keyName(key: string): string {
  return key.replaceAll('%2F', '/');
}

/** The limits that apply to a tenant and model (undefined: tenant-wide alone), tenant-wide first. */
function limitSpecs(tenant: Tenant, model: string | undefined): LimitSpec[] {
  const out: LimitSpec[] = [];
  const l = tenant.config.limits;
  const key = tenantKey(tenant.name);
  if (l && (l.tpm !== undefined || l.rpm !== undefined || l.concurrency !== undefined || l.budget))
    out.push({ key, tpm: l.tpm, rpm: l.rpm, concurrency: l.concurrency, budget: budgetSpec(l.budget) });
  if (model === undefined) return out;
  const m = tenant.config.modelLimits?.[model];
  if (m) out.push({ key: `${key}/${model}`, tpm: m.tpm, rpm: m.rpm, concurrency: m.concurrency, budget: budgetSpec(m.budget) });
  return out;
}

const MAX_CACHED_MODELS = 1024;

/** An unusable limit key fails every request of its tenant: said at most this often, not per request. */
const KEY_PROBLEM_EVERY_MS = 60_000;
/**
 * A store said unavailable is said recovered once it has answered for this long with no failure between. Said at each
 * turn, a Redis answering about as slowly as its timeout (every other command past it) wrote an 'unavailable' and a
 * 'recovered' line, and published two limits_store events, per pair of requests: at the clients' request rate.
 */
const RECOVERED_AFTER_MS = 1000;
/** Longest store failure shown: a Redis error reply is the server's own text, of any length. */
const MAX_SHOWN = 300;

/**
 * A store failure as stderr and the `limits_store` event show it: control characters escaped (a Redis reply's
 * terminal escapes cleared and forged what the operator read) and cut (an 8 MiB reply was an 8 MiB line and event),
 * copied through bytes so the event does not keep the whole reply alive behind a slice of it.
 */
function shown(message: string): string {
  return escapeControls(message.length > MAX_SHOWN ? `${ownString(message.slice(0, MAX_SHOWN))}…` : message);
}

/** How soon a request refused only for the shared store's absence may try again (as the 503 of onError: closed says). */
const STORE_RETRY_MS = 1000;

/**
 * How long an answer refused before admission waits for a shared store's read of its tenant's limits (rateHeadersOf):
 * a Redis on the same network answers in about a millisecond; one slower than this sends the refusal without them.
 */
const PEEK_WAIT_MS = 100;
/**
 * How long one shared-store read of a refusal's headers answers for every refusal of the same limits: refusals count
 * against no limit, so without it a tenant allowed 10 rpm made the gateway run a Redis script per refused request as
 * fast as it could send them (400 pipelined 404s, 400 scripts), on the connection every tenant's admissions share.
 * A refusal's remaining counts may be this much older than an admission's.
 */
const PEEK_REUSE_MS = 1000;
/** Reads kept for reuse at most (a tenant's and its models' limits each); past it they are forgotten together. */
const MAX_PEEKS_KEPT = 4096;

/** Whether the limit `key` of `kind` itself (not a replica's share of it) can never admit this request. */
function neverAdmitted(input: AdmitInput, kind: LimitKind, key: string): boolean {
  const spec = input.specs.find((s) => s.key === key);
  if (!spec) return true;
  if (kind === 'tokens') return spec.tpm !== undefined && input.tokens > spec.tpm;
  if (kind === 'requests') return spec.rpm === 0;
  if (kind === 'concurrency') return spec.concurrency === 0;
  return spec.budget !== undefined && (input.microUsd ?? 0) > spec.budget.microUsd;
}

/** `specs` without the limits that are a budget alone (the same array when there is none: nothing allocated). */
function withoutBudgetsAlone(specs: readonly LimitSpec[]): readonly LimitSpec[] {
  return specs.some(budgetAlone) ? specs.filter(notBudgetAlone) : specs;
}

// Module functions, not closures made per call: every admission of a request that can cost nothing passes here.
const budgetAlone = (s: LimitSpec): boolean =>
  s.budget !== undefined && s.tpm === undefined && s.rpm === undefined && s.concurrency === undefined;
const notBudgetAlone = (s: LimitSpec): boolean => !budgetAlone(s);

/**
 * The first limit whose share (`local`, this replica's) the request exceeds while the limit itself admits it, and the
 * local specs without every such limit; undefined when there is none.
 */
function overShare(input: AdmitInput, local: readonly LimitSpec[]): { kind: LimitKind; key: string; specs: LimitSpec[] } | undefined {
  let first: { kind: LimitKind; key: string } | undefined;
  const specs = local.map((l, i) => {
    const s = input.specs[i]!;
    const tokens = s.tpm !== undefined && input.tokens > 0 && input.tokens > l.tpm! && input.tokens <= s.tpm;
    const requests = s.rpm !== undefined && l.rpm === 0 && s.rpm > 0;
    const usd = input.microUsd ?? 0;
    const budget = s.budget !== undefined && usd > 0 && usd > l.budget!.microUsd && usd <= s.budget.microUsd;
    if (!tokens && !requests && !budget) return l;
    first ??= { kind: requests ? 'requests' : tokens ? 'tokens' : 'budget', key: l.key };
    return { ...l, tpm: tokens ? undefined : l.tpm, rpm: requests ? undefined : l.rpm, budget: budget ? undefined : l.budget };
  });
  return first && { ...first, specs };
}

export class Limiter {
  private readonly shared: LimitStore;
  private readonly specCache = new WeakMap<Tenant, Map<string, readonly LimitSpec[]>>();
  /** A refusal's headers as last read from the shared store, by the limits read (see PEEK_REUSE_MS). */
  private readonly peeks = new Map<string, { at: number; headers: Promise<Record<string, string> | undefined> }>();
  private readonly degraded: MemoryLimitStore | undefined;
  private storeDown = false;
  /** While the store is said down: when it began answering again, with no failure since (RECOVERED_AFTER_MS). */
  private answeringSince: number | undefined;
  private keyProblemSaidAt = -Infinity;

  /**
   * `previous`: the limiter a reload replaces. Its replica's shares, held in memory while the shared store is away, carry
   * over as the in-process store's limits do: made anew, a reload during an outage (a changed store timeout, leaseTtl,
   * onError or rateWindow) let the requests in flight's slots go uncounted (two at once at concurrency 1) and forgot the
   * spend of the budget's share.
   */
  private constructor(
    private readonly profile: Profile,
    private readonly bus: EventBus,
    shared: LimitStore,
    previous?: Limiter,
  ) {
    this.shared = shared;
    const before = previous?.degraded;
    this.degraded = profile.limits.store
      ? new MemoryLimitStore(profile.limits.rateWindow, monotonicNow, before?.leases, before?.budgets, before?.debts)
      : undefined;
  }

  /**
   * A limiter for a profile (`previous`: the one it replaces on a reload); with a Redis store, waits (bounded
   * by its timeout) for it to connect so the first requests are not served degraded. ioredis is only loaded
   * when a profile asks for Redis.
   */
  static async create(profile: Profile, bus: EventBus, previous?: Limiter): Promise<Limiter> {
    const s = profile.limits.store;
    if (!s) {
      // The requests in flight keep their concurrency slots, and tenants their budgets' spend and their token debts,
      // across a reload that changed the window.
      const before = previous?.shared instanceof MemoryLimitStore ? previous.shared : undefined;
      return new Limiter(
        profile,
        bus,
        new MemoryLimitStore(profile.limits.rateWindow, monotonicNow, before?.leases, before?.budgets, before?.debts),
      );
    }
    const { RedisLimitStore: Store } = await import('./limits/redis-store.js');
    const store: RedisLimitStore = new Store({
      url: s.redis,
      windowMs: profile.limits.rateWindow,
      timeoutMs: s.timeout,
      leaseTtlMs: s.leaseTtl,
      prefix: s.prefix,
    });
    // What the store this one replaces still holds for Redis (settlements kept through an outage) is this one's to send.
    if (previous?.shared instanceof Store) previous.shared.succeededBy(store);
    const limiter = new Limiter(profile, bus, store, previous);
    await store.ready().catch((e: Error) => limiter.markStore(false, e.message));
    return limiter;
  }

  /**
   * The limits that apply to a tenant and model; empty when none do. Built once per tenant and model, not per
   * request: a reload makes new tenant objects (even when this limiter carries over), so a changed limit is
   * never read from here.
   */
  specsFor(tenant: Tenant, model: string): readonly LimitSpec[] {
    let byModel = this.specCache.get(tenant);
    if (!byModel) this.specCache.set(tenant, (byModel = new Map()));
    let specs = byModel.get(model);
    if (!specs) {
      specs = Object.freeze(limitSpecs(tenant, model));
      // Only routable models reach admission, so this stays small; the bound is for safety, not for use.
      if (byModel.size < MAX_CACHED_MODELS) byModel.set(model, specs);
    }
    return specs;
  }

  /**
   * OpenAI's x-ratelimit-* headers for an answer to `tenant` refused before admission — its concurrency 429 from
   * gateway/tenant-places.ts, a 400, 403 or 404 once its key is known — as every answer to a tenant with limits
   * carries them (contract §3): read from the store, counting nothing. `model`: the request's once its body is read (a
   * per-model limit may bind, as rateHeaders chooses). Undefined when no rpm or tpm applies. Not on the way of an
   * admission: only such refusals pay for this read. A shared store is waited for PEEK_WAIT_MS at most; one failing or
   * slower than that gives nothing, and the refusal goes without the headers rather than late or not at all.
   */
  rateHeadersOf(tenant: Tenant, model: string | undefined): MaybePromise<Record<string, string> | undefined> {
    // Only a model with limits of its own is read for: a refused request's model may be any string (its 404).
    const own = model !== undefined && tenant.config.modelLimits !== undefined && Object.hasOwn(tenant.config.modelLimits, model);
    const specs = limitSpecs(tenant, own ? model : undefined)
      .filter((s) => s.rpm !== undefined || s.tpm !== undefined)
      // The windows the headers show, and nothing else: a budget's meter is not made or replaced by a read.
      .map((s) => ({ key: s.key, tpm: s.tpm, rpm: s.rpm }));
    if (specs.length === 0) return undefined;
    if (this.storeDown) {
      // Down: this replica's admissions are decided by its share of each limit, in memory, and say so in their
      // headers; a refusal says the same (read at once, not after a wait for a store known to be away). Closed: none.
      if (this.profile.limits.store?.onError === 'closed') return undefined;
      return rateHeaders(this.degraded!.stateOf({ specs: this.shares(specs), tokens: 0, lease: '' }));
    }
    let states: MaybePromise<LimitState[]>;
    const key = specs.map((s) => s.key).join('\n');
    const now = monotonicNow();
    const kept = this.peeks.get(key);
    if (kept && now - kept.at < PEEK_REUSE_MS) return kept.headers;
    try {
      states = this.shared.stateOf({ specs, tokens: 0, lease: '' });
    } catch {
      return undefined;
    }
    if (!(states instanceof Promise)) return rateHeaders(states);
    const read = states;
    const headers = new Promise<Record<string, string> | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), PEEK_WAIT_MS);
      read.then(
        (st) => {
          clearTimeout(timer);
          resolve(rateHeaders(st));
        },
        () => {
          clearTimeout(timer);
          resolve(undefined);
        },
      );
    });
    if (this.peeks.size >= MAX_PEEKS_KEPT) this.peeks.clear();
    this.peeks.set(key, { at: now, headers });
    return headers;
  }

  /**
   * `microUsd`: the most this request can cost, reserved against budgets (0 when it can cost nothing).
   * Synchronous with the memory store; a promise only when a shared store answers later.
   */
  admit(
    tenant: Tenant,
    model: string,
    tokens: number,
    lease: string,
    requestId: string,
    microUsd = 0,
  ): MaybePromise<Admission | AigwError> {
    const all = this.specsFor(tenant, model);
    // A request that can cost nothing is never held back by a budget: a limit that is a budget alone has nothing to
    // decide for it. Asked all the same, a tenant limited by a budget alone had each free request wait for Redis, and
    // answered 503 while the store was down (onError: closed).
    const specs = microUsd > 0 ? all : withoutBudgetsAlone(all);
    if (specs.length === 0) return { reservation: undefined, headers: {}, store: this.shared };
    const input: AdmitInput = { specs, tokens, lease, microUsd };
    let outcome: MaybePromise<AdmitOutcome>;
    try {
      outcome = this.shared.admit(input);
    } catch (e) {
      return this.admitDegraded(e as Error, input, tenant, model, requestId);
    }
    if (outcome instanceof Promise)
      return outcome.then(
        (o) => this.decided(o, this.shared, input, tenant, model, requestId),
        (e: Error) => this.admitDegraded(e, input, tenant, model, requestId),
      );
    return this.decided(outcome, this.shared, input, tenant, model, requestId);
  }

  /**
   * The shared store failed, or could not decide this request (one limit's key unusable): 503 (closed), or this
   * replica's share of each limit, in memory (open).
   */
  private admitDegraded(e: Error, input: AdmitInput, tenant: Tenant, model: string, requestId: string): Admission | AigwError {
    // A bad key is not an outage: the store stays up for every other tenant, and saying so per request would flap.
    if (e instanceof LimitKeyError) this.keyProblem(e.message, tenant);
    else this.markStore(false, e.message);
    if (this.profile.limits.store?.onError === 'closed') {
      return aigwError('rate_limit_store_unavailable', 'the rate-limit store is unavailable; try again shortly', {
        headers: { 'retry-after': '1' },
      });
    }
    // Degraded: this replica enforces its share of each limit on its own, never the whole limit.
    const local = this.shares(input.specs);
    const store = this.degraded!;
    const localInput = { ...input, specs: local };
    const over = overShare(input, local);
    let outcome: AdmitOutcome;
    if (over) {
      // Over this replica's share of a limit that admits it: it waits for the store — and as long as any other limit of
      // the share that refuses it says (read without that limit, counting nothing). Told the store's second alone, a
      // request a minute from this replica's rpm came back to the same 429 for that minute.
      const rest = store.check({ ...input, specs: over.specs });
      const states = store.stateOf(localInput);
      outcome =
        rest && (rest.permanent || rest.retryAfterMs >= STORE_RETRY_MS)
          ? { ...rest, states }
          : { ok: false, kind: over.kind, key: over.key, retryAfterMs: STORE_RETRY_MS, permanent: false, states };
    } else outcome = store.admit(localInput);
    // Over this replica's share, within the limit itself: the store's return admits it, so it is one to retry. Refused
    // for good, 2 rpm over 4 replicas (0 each) or 3,000 tokens of an 8,000 tpm over 4 (2,000 each) told clients not to
    // retry requests their limits admit once Redis is back.
    if (!outcome.ok && outcome.permanent && !neverAdmitted(input, outcome.kind, outcome.key))
      outcome = { ...outcome, permanent: false, retryAfterMs: STORE_RETRY_MS };
    return this.decided(outcome, store, input, tenant, model, requestId);
  }

  /** This replica's share of each limit, enforced in memory while the shared store is down (open). */
  private shares(specs: readonly LimitSpec[]): LimitSpec[] {
    const share = this.profile.limits.store?.replicas ?? 1;
    return specs.map((s) => ({
      key: s.key,
      tpm: s.tpm === undefined ? undefined : Math.floor(s.tpm / share),
      rpm: s.rpm === undefined ? undefined : Math.floor(s.rpm / share),
      // At least a slot a replica, except under a concurrency of 0, which admits nothing anywhere (a model shut off).
      concurrency: s.concurrency === undefined || s.concurrency === 0 ? s.concurrency : Math.max(1, Math.floor(s.concurrency / share)),
      budget: s.budget && { microUsd: s.budget.microUsd / share, windowMs: s.budget.windowMs },
    }));
  }

  /** A store's answer as the admission (with OpenAI's headers) or the 429. */
  private decided(
    outcome: AdmitOutcome,
    store: LimitStore,
    input: AdmitInput,
    tenant: Tenant,
    model: string,
    requestId: string,
  ): Admission | AigwError {
    if (store === this.shared) this.markStore(true);
    const headers = rateHeaders(outcome.states, outcome.ok ? undefined : outcome);
    if (outcome.ok) return { reservation: outcome.reservation, headers, store };
    const { tokens, microUsd = 0 } = input;
    const retryMs = Math.max(1, Math.ceil(outcome.retryAfterMs));
    if (this.bus.active)
      this.bus.publish({
        type: 'ratelimit',
        ts: Date.now(),
        requestId,
        tenant: tenant.name,
        model,
        kind: outcome.kind,
        retryAfterMs: outcome.permanent ? -1 : retryMs,
      });
    const message = refusalMessage(outcome.kind, keyName(outcome.key), outcome.permanent, retryMs, tokens, microUsd);
    // A long wait (a budget that refills in hours; a token debt draining, a long rateWindow): tell clients not to
    // retry now — openai-node before 6 retried at once past 60 s; 6.x and @anthropic-ai/sdk sleep any wait inside the
    // call, unabortable, so a create() hung for the whole wait, twice. rpm and tpm of the usual minute ask up to a
    // window and a bucket (~61 s), which stays the SDKs' to wait.
    const hopeless = outcome.permanent || retryMs > (outcome.kind === 'budget' ? 60_000 : LONGEST_SLEPT_WAIT_MS);
    return aigwError('rate_limit_exceeded', message, {
      type: outcome.kind,
      headers: outcome.permanent
        ? { ...headers, 'x-should-retry': 'false' }
        : {
            ...headers,
            'retry-after': String(Math.ceil(retryMs / 1000)),
            'retry-after-ms': String(retryMs),
            ...(hopeless ? { 'x-should-retry': 'false' } : {}),
          },
    });
  }

  private markStore(ok: boolean, said = ''): void {
    if (ok === !this.storeDown) {
      // Down, and failing again: its recovery waits for a steady run of answers.
      if (!ok) this.answeringSince = undefined;
      return;
    }
    if (ok) {
      const now = performance.now();
      this.answeringSince ??= now;
      if (now - this.answeringSince < RECOVERED_AFTER_MS) return;
    }
    this.answeringSince = undefined;
    const message = shown(said);
    this.storeDown = !ok;
    const mode =
      this.profile.limits.store?.onError === 'closed'
        ? 'closed: answering 503'
        : `open: each replica enforces limit ÷ ${this.profile.limits.store?.replicas ?? 1} locally`;
    process.stderr.write(`aigw: rate-limit store ${ok ? 'recovered' : `unavailable (${message}); failing ${mode}`}\n`);
    if (this.bus.active)
      this.bus.publish({ type: 'limits_store', ts: Date.now(), ok, message: ok ? 'recovered' : `${message}; failing ${mode}` });
  }

  private keyProblem(said: string, tenant: Tenant): void {
    const now = performance.now();
    if (now - this.keyProblemSaidAt < KEY_PROBLEM_EVERY_MS) return;
    this.keyProblemSaidAt = now;
    const message = shown(said);
    const mode = this.profile.limits.store?.onError === 'closed' ? 'answered 503' : 'limited locally';
    process.stderr.write(
      `aigw: rate-limit store cannot decide tenant ${tenant.name}'s limits (${message}); its requests are ${mode} until the key is fixed (said once a minute)\n`,
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.shared.close(), this.degraded?.close()]);
  }
}
