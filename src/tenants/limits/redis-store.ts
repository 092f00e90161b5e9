/**
 * The shared store: several gateways enforce one budget through Redis, one Lua round trip per admission
 * and one per settlement. Every command is bounded by a timeout; failures surface as errors for the
 * limiter to handle (fail open or closed, limiter.ts).
 */
import { Redis } from 'ioredis';
import { type Linked, LiveList } from '../../core/live-list.js';
import { ADMIT, CANCEL, PEEK, RELEASE, RENEW, SETTLE } from './redis-scripts.js';
import { timerDelay } from '../../core/timer-delay.js';
import {
  BUCKETS,
  type AdmitInput,
  type AdmitOutcome,
  type LimitKind,
  type LimitSpec,
  type LimitState,
  type LimitStore,
  LimitKeyError,
  type Reservation,
} from './store.js';

export interface RedisStoreOptions {
  url: string;
  windowMs: number;
  timeoutMs: number;
  leaseTtlMs: number;
  prefix: string;
}

type Scripted = Redis & {
  aigwAdmit(numKeys: number, ...args: (string | number)[]): Promise<(string | number)[]>;
  aigwSettle(numKeys: number, ...args: (string | number)[]): Promise<number>;
  aigwRenew(numKeys: number, ...args: (string | number)[]): Promise<number>;
  aigwRelease(numKeys: number, ...args: (string | number)[]): Promise<number>;
  aigwCancel(numKeys: number, ...args: (string | number)[]): Promise<number>;
  aigwPeek(numKeys: number, ...args: (string | number)[]): Promise<unknown>;
};

/** Redis answered with an error: the command ran (or was refused), nothing of it is still to come. */
function isReplyError(e: unknown): boolean {
  return e instanceof Error && e.name === 'ReplyError';
}

/** The command was never written (no connection and no offline queue): nothing of it can run later. */
function neverSent(e: unknown): boolean {
  return e instanceof Error && e.message.startsWith("Stream isn't writeable");
}

/**
 * Refused by a replica (a failover demoted the primary this connection reached): a replica writes nothing, so the
 * script changed nothing there, and the connection is to be made again — to the address's new primary.
 */
function readOnly(e: unknown): boolean {
  return isReplyError(e) && (e as Error).message.startsWith('READONLY');
}

/**
 * Refused unrun by a server busy with a long script (another client's, past busy-reply-threshold) or loading its data: a
 * reply on a live connection, so no reconnection follows — the next answer says Redis runs commands again.
 */
function busy(e: unknown): boolean {
  return isReplyError(e) && /^(?:BUSY|LOADING) /.test((e as Error).message);
}

/** A command that did nothing and is worth sending again (see resendUnanswered). */
const unrun = (e: unknown): boolean => neverSent(e) || readOnly(e) || busy(e);

/**
 * A key of one limit holds what the scripts cannot read (another type, a field that is not a number). ADMIT reads
 * every key before it writes one, so such an admission wrote nothing. Server states (LOADING, READONLY, OOM) are not this.
 */
const KEY_ERROR = /WRONGTYPE|not an integer|not a valid float/;

/** Cancellations waiting for a reconnection to be sent again: at most this many (the oldest dropped). */
const MAX_UNANSWERED = 10_000;
/** Cancellations resent at a time after a reconnection. */
const RESEND_BATCH = 200;

const VERDICTS: ReadonlySet<unknown> = new Set(['ok', 'requests', 'tokens', 'concurrency', 'budget']);

/**
 * Whether an answer is one ADMIT sends for `n` limits (redis-scripts.ts): a verdict, a bucket or the refusing limit's
 * index, a time or a wait, and seven figures per limit, every one a finite number. (Not held to be 0 or more: a budget
 * bucket refunded to its last micro-dollar reads a hair off 0, 1e-17, by Redis's long double arithmetic.)
 */
function readableAdmission(r: unknown, n: number): r is (string | number)[] {
  if (!Array.isArray(r) || r.length !== 3 + 7 * n || !VERDICTS.has(r[0])) return false;
  for (let i = 1; i < r.length; i++) {
    const v = r[i];
    if ((typeof v !== 'number' && typeof v !== 'string') || !Number.isFinite(Number(v))) return false;
  }
  const at = Number(r[1]);
  return r[0] === 'ok' || (Number.isInteger(at) && at >= 0 && at < n);
}

/** The command was written and its answer was given up on: it runs when Redis reads it. */
function timedOut(e: unknown): boolean {
  return e instanceof Error && e.message === 'Command timed out';
}

interface PendingCancel {
  keys: string[];
  args: (string | number)[];
  until: number;
  /** A settlement never written (SETTLE is not idempotent: only one Redis never read is sent again), not a CANCEL. */
  settle?: true;
}

/** An admission on its way: what its CANCEL needs, in the store's list of them (core/live-list.ts, not a Map). */
class PendingAdmission implements Linked<PendingAdmission> {
  livePrev: PendingAdmission | undefined;
  liveNext: PendingAdmission | undefined;
  inLive = false;
  constructor(
    readonly keys: string[],
    readonly args: (string | number)[],
  ) {}
}

export class RedisLimitStore implements LimitStore {
  private readonly redis: Scripted;
  private closed = false;
  /**
   * Cancellations that got no answer (timed out, or refused while disconnected), by lease. One that was written
   * runs when Redis wakes — unless the connection died before Redis read it (a partition): then only sending it
   * again undoes the admission, so each is sent once more when the connection is ready again. Settlements refused
   * while disconnected wait here too (never written, so sent once: SETTLE is not idempotent).
   */
  private readonly unanswered = new Map<string, PendingCancel>();
  private resending = false;
  /** Admissions written and not yet answered: what close() must undo (their answers will never be read). */
  private readonly pending = new LiveList<PendingAdmission>();
  /** The store a reload replaced this one with, for the same Redis: what this one still holds for Redis goes to it. */
  private successor: RedisLimitStore | undefined;

  constructor(private readonly o: RedisStoreOptions) {
    this.redis = new Redis(o.url, {
      // Held to Node's timer bound: past it a timer fires after 1 ms, and every command (the ready check's too) timed
      // out at once — the store never read, every request served degraded or refused.
      commandTimeout: timerDelay(o.timeoutMs),
      connectTimeout: timerDelay(Math.max(o.timeoutMs, 1000)),
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: false,
      retryStrategy: (times) => Math.min(times * 100, 2000),
      // A failover behind one address (a managed Redis's primary endpoint) leaves this connection open to the demoted
      // primary, which answers every write READONLY: a reply, not a lost connection, so nothing reconnected and every
      // admission failed (503 under onError: closed) for as long as the gateway ran. Made again, it reaches the new one.
      reconnectOnError: readOnly,
    }) as Scripted;
    this.redis.on('error', () => {});
    this.redis.on('ready', () => void this.resendUnanswered());
    this.redis.defineCommand('aigwAdmit', { lua: ADMIT });
    this.redis.defineCommand('aigwSettle', { lua: SETTLE });
    this.redis.defineCommand('aigwRenew', { lua: RENEW });
    this.redis.defineCommand('aigwRelease', { lua: RELEASE });
    this.redis.defineCommand('aigwCancel', { lua: CANCEL });
    this.redis.defineCommand('aigwPeek', { lua: PEEK });
  }

  /** Resolves once connected (or rejects after the connect timeout). */
  ready(): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`redis not reachable at ${redactUrl(this.o.url)}`)),
        timerDelay(Math.max(this.o.timeoutMs, 1000)),
      );
      this.redis.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /**
   * The keys of one limit. Token, request and budget windows are keyed by the window's length too, so a
   * reload (or a replica) with another window starts its own; concurrency leases are not windowed and stay shared,
   * and so does the debt a window could not hold (store.ts): tokens or money owed, not a window's. Kept in the
   * window's hash, a reload that changed `limits.rateWindow` forgave every tenant's token debt, as the memory store did
   * before its DebtRegistry, and one that changed a budget's `per` its budget debt.
   */
  private keys(spec: LimitSpec): [tpm: string, rpm: string, conc: string, budget: string, debt: string, budgetDebt: string] {
    const key = spec.key;
    const tag = `${this.o.prefix}:{${key.split('/', 1)[0]}}:${key}`;
    const w = this.o.windowMs;
    return [
      `${tag}:w${w}:tpm`,
      `${tag}:w${w}:rpm`,
      `${tag}:conc`,
      `${tag}:w${spec.budget?.windowMs ?? 0}:usd`,
      `${tag}:tpm-debt`,
      `${tag}:usd-debt`,
    ];
  }

  async admit(input: AdmitInput): Promise<AdmitOutcome> {
    const keys: string[] = [];
    const limits: number[] = [];
    for (const s of input.specs) {
      keys.push(...this.keys(s));
      limits.push(s.tpm ?? -1, s.rpm ?? -1, s.concurrency ?? -1, s.budget?.microUsd ?? -1, s.budget?.windowMs ?? this.o.windowMs);
    }
    keys.push(this.ticket(input.specs, input.lease));
    const microUsd = input.microUsd ?? 0;
    const args = [this.o.windowMs, BUCKETS, input.tokens, input.lease, this.o.leaseTtlMs, input.specs.length, microUsd, ...limits];
    let r: (string | number)[];
    const pending = new PendingAdmission(keys, args);
    this.pending.add(pending);
    try {
      r = await this.redis.aigwAdmit(keys.length, ...keys, ...args);
    } catch (e) {
      if (isReplyError(e) && KEY_ERROR.test((e as Error).message)) throw new LimitKeyError((e as Error).message);
      // A timeout only rejects here: the script is still queued and runs when Redis wakes, taking a lease and the
      // reservation for a request that is served from memory or refused (reliability.md case 21). Undo it —
      // unless it was never sent (Redis down): cancelling each of those kept ~290 loops/s retrying for a minute. Nor
      // one a replica refused (it wrote nothing): each would wait for the reconnection, a CANCEL per request of a failover.
      if (!unrun(e)) void this.cancel(keys, args, Date.now() + this.countsFor(input.specs));
      throw e;
    } finally {
      this.pending.delete(pending);
    }
    // Redis runs commands again: what a busy Redis refused unrun goes now (a reconnection sends the rest).
    if (this.unanswered.size > 0) void this.resendUnanswered();
    if (Array.isArray(r) && r[0] === 'cancelled') throw new Error('admission cancelled');
    if (!readableAdmission(r, input.specs.length)) {
      // Nothing says what the script did, if it ran: undone as an admission that timed out is. Read as it came, its
      // NaNs were the request's x-ratelimit-* headers, a 429's retry-after, and the bucket its settlement refunded.
      void this.cancel(keys, args, Date.now() + this.countsFor(input.specs));
      throw new Error('Redis answered an admission with what the script never sends');
    }
    const states: LimitState[] = input.specs.map((spec, i) => {
      const [tu, tr, ru, rr, active, bu, br] = r.slice(3 + i * 7, 10 + i * 7).map(Number) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const st: LimitState = { key: spec.key };
      if (spec.tpm !== undefined) st.tokens = { limit: spec.tpm, remaining: Math.max(0, spec.tpm - tu), resetMs: tr };
      if (spec.rpm !== undefined) st.requests = { limit: spec.rpm, remaining: Math.max(0, spec.rpm - ru), resetMs: rr };
      if (spec.concurrency !== undefined) st.concurrency = { limit: spec.concurrency, active };
      if (spec.budget)
        st.budget = { limit: spec.budget.microUsd, remaining: Math.max(0, Math.floor(spec.budget.microUsd - bu)), resetMs: br };
      return st;
    });
    if (r[0] === 'ok') {
      const reservation = {
        specs: input.specs,
        tokens: input.tokens,
        lease: input.lease,
        bucket: Number(r[1]),
        microUsd,
        at: Number(r[2]),
      };
      return { ok: true, reservation, states };
    }
    const retry = Number(r[2]);
    return {
      ok: false,
      kind: r[0] as LimitKind,
      key: input.specs[Number(r[1])]!.key,
      retryAfterMs: Math.max(0, retry),
      permanent: retry < 0,
      states,
    };
  }

  /**
   * The token and request windows as `input`'s specs read them now, counting nothing and writing nothing (PEEK): only
   * what the x-ratelimit-* headers say. An answer that is not four finite figures per limit is an error.
   */
  async stateOf(input: AdmitInput): Promise<LimitState[]> {
    const keys: string[] = [];
    const limits: number[] = [];
    for (const s of input.specs) {
      const [tpm, rpm, , , debt] = this.keys(s);
      keys.push(tpm, rpm, debt);
      limits.push(s.tpm ?? -1, s.rpm ?? -1);
    }
    const r = await this.redis.aigwPeek(keys.length, ...keys, this.o.windowMs, BUCKETS, input.specs.length, ...limits);
    if (!Array.isArray(r) || r.length !== 4 * input.specs.length || !r.every((v) => Number.isFinite(Number(v))))
      throw new Error('Redis answered a read of the limits with what the script never sends');
    return input.specs.map((spec, i) => {
      const [tu, tr, ru, rr] = (r as unknown[]).slice(i * 4, i * 4 + 4).map(Number) as [number, number, number, number];
      const st: LimitState = { key: spec.key };
      if (spec.tpm !== undefined) st.tokens = { limit: spec.tpm, remaining: Math.max(0, spec.tpm - tu), resetMs: tr };
      if (spec.rpm !== undefined) st.requests = { limit: spec.rpm, remaining: Math.max(0, spec.rpm - ru), resetMs: rr };
      return st;
    });
  }

  async settle(res: Reservation, actualTokens: number, actualMicroUsd = res.microUsd): Promise<void> {
    const keys: string[] = [];
    const limits: number[] = [];
    for (const s of res.specs) {
      const [tpm, , conc, budget, debt, budgetDebt] = this.keys(s);
      keys.push(tpm, conc, budget, debt, budgetDebt);
      limits.push(s.tpm ?? -1, s.budget?.microUsd ?? -1, s.budget?.windowMs ?? this.o.windowMs);
    }
    keys.push(this.ticket(res.specs, res.lease));
    const args = [
      this.o.windowMs,
      BUCKETS,
      res.bucket,
      actualTokens - res.tokens,
      res.lease,
      res.specs.length,
      res.at,
      actualMicroUsd - res.microUsd,
      ...limits,
    ];
    await this.redis.aigwSettle(keys.length, ...keys, ...args).catch((e: unknown) => {
      // Refused while the connection was down (no offline queue): Redis never read it, so it is sent on the next
      // reconnection. Dropped, the request's slot stayed held for leaseTtl (a tenant of concurrency 1 refused for 30 s
      // after a blip) and its reservation stood uncorrected: the estimate charged whatever was used, a debt forgiven.
      if (!this.closed && unrun(e)) this.park(res.lease, { keys, args, until: Date.now() + this.countsFor(res.specs), settle: true });
      throw e;
    });
  }

  /**
   * How long an admission of `specs` counts in Redis: its lease's TTL, the rate window, and each budget's window (a day,
   * a month). A settlement or cancellation kept for a reconnection is worth sending for that long. Kept for the first
   * two alone, a Redis away for longer than a minute left each budget's reservation (the request's dearest outcome)
   * charged for the rest of its day, and forgave a debt beyond it.
   */
  private countsFor(specs: readonly LimitSpec[]): number {
    let ms = Math.max(this.o.leaseTtlMs, this.o.windowMs);
    for (const s of specs) if (s.budget) ms = Math.max(ms, s.budget.windowMs);
    return ms;
  }

  /**
   * A reload replaced this store with `next`: on close, the settlements and cancellations still kept for a reconnection
   * are `next`'s to send, when it speaks to the same Redis under the same prefix (the commands name their keys whole).
   * Dropped at close, a settlement kept through an outage that a reload outlived left the request's reservation (its
   * dearest outcome) charged to its budget for the rest of the window.
   */
  succeededBy(next: RedisLimitStore): void {
    if (next.o.url === this.o.url && next.o.prefix === this.o.prefix) this.successor = next;
  }

  /** Keeps what failed short of Redis for the next reconnection (resendUnanswered), at most MAX_UNANSWERED, the oldest dropped. */
  private park(lease: string, c: PendingCancel): void {
    this.unanswered.delete(lease);
    this.unanswered.set(lease, c);
    if (this.unanswered.size > MAX_UNANSWERED) this.unanswered.delete(this.unanswered.keys().next().value!);
  }

  /** A parked settlement, sent again: refused again before it was written, it waits for the next reconnection. */
  private resettle(lease: string, c: PendingCancel): Promise<void> {
    return this.redis.aigwSettle(c.keys.length, ...c.keys, ...c.args).then(
      () => {},
      (e: unknown) => {
        if (!this.closed && unrun(e) && Date.now() <= c.until) this.park(lease, c);
      },
    );
  }

  async release(res: Reservation): Promise<void> {
    const keys = res.specs.filter((s) => s.concurrency !== undefined).map((s) => this.keys(s)[2]);
    if (keys.length) await this.redis.aigwRelease(keys.length, ...keys, res.lease);
  }

  async renew(res: Reservation): Promise<void> {
    const keys = res.specs.filter((s) => s.concurrency !== undefined).map((s) => this.keys(s)[2]);
    if (keys.length) await this.redis.aigwRenew(keys.length, ...keys, res.lease, this.o.leaseTtlMs);
  }

  /**
   * Sends CANCEL (it is idempotent). One that fails short of Redis's answer — timed out, or refused while
   * disconnected — waits for the next reconnection (`unanswered`), never for a timer: retried with backoff, the
   * cancellations of a stall or an outage made thousands of failed commands a second. A resent one that times out
   * was written on a live connection and runs: it is not kept again. Given up once the lease has expired and the
   * reservation left every window it counts in anyway (countsFor: a budget's too).
   */
  private cancel(keys: string[], args: (string | number)[], until: number, resent = false): Promise<void> {
    return this.redis.aigwCancel(keys.length, ...keys, ...args).then(
      () => {},
      (e: unknown) => {
        if (this.closed || (isReplyError(e) && !unrun(e)) || Date.now() > until || (resent && timedOut(e))) return;
        this.park(String(args[3]), { keys, args, until });
      },
    );
  }

  /**
   * On a reconnection: the waiting cancellations, RESEND_BATCH at a time, each batch once the one before has its
   * answers. All at once, 10,000 of them held the event loop for 200 ms and timed out behind each other.
   */
  private async resendUnanswered(): Promise<void> {
    if (this.resending) return;
    this.resending = true;
    try {
      // Those waiting now, once each: one that fails again waits for the next reconnection, not for this loop.
      let left = this.unanswered.size;
      while (left > 0 && this.unanswered.size > 0 && !this.closed && this.redis.status === 'ready') {
        const now = Date.now();
        const batch: Promise<void>[] = [];
        for (const [lease, c] of this.unanswered) {
          this.unanswered.delete(lease);
          left--;
          if (now <= c.until) batch.push(c.settle ? this.resettle(lease, c) : this.cancel(c.keys, c.args, c.until, true));
          if (batch.length === RESEND_BATCH || left === 0) break;
        }
        await Promise.all(batch);
      }
    } finally {
      this.resending = false;
    }
  }

  /** Where an admission leaves what CANCEL needs to undo it: in its tenant's slot, after a `#` no limit key holds. */
  private ticket(specs: readonly LimitSpec[], lease: string): string {
    const key = specs[0]!.key;
    return `${this.o.prefix}:{${key.split('/', 1)[0]}}#lease:${lease}`;
  }

  /**
   * Each admission still unanswered is cancelled first, on the same connection: written after it, the CANCEL runs
   * after it even when Redis only reads both once it wakes from a stall, after this side has gone (Redis runs
   * what it had received before it sees the close). Left alone, such an admission — a request the drain's
   * deadline already answered 503 — took its lease when Redis woke and held one concurrency slot of its tenant,
   * fleet-wide, for `leaseTtl`. An answer that still arrives before the socket closes lets its request go on with
   * a slot the CANCEL then frees: at most a request over a limit while the store closes, where the other way a
   * slot was lost for `leaseTtl`. A store closes only when no runtime uses it or at the drain's deadline.
   */
  async close(): Promise<void> {
    this.closed = true;
    // The store serving now: a successor a later reload retired first (never used, closed before this one's last
    // request ended) passes them on to its own, or they were dropped.
    let next = this.successor;
    while (next?.closed) next = next.successor;
    if (next && this.unanswered.size > 0) {
      for (const [lease, c] of this.unanswered) next.park(lease, c);
      this.unanswered.clear();
      if (next.redis.status === 'ready') void next.resendUnanswered();
    }
    if (this.redis.status === 'ready')
      for (const c of this.pending.snapshot()) this.redis.aigwCancel(c.keys.length, ...c.keys, ...c.args).catch(() => {});
    this.redis.disconnect();
  }
}

/** A redis:// URL without its password, for messages. */
/** The URL as a message shows it: no userinfo, no query (ioredis reads `?password=` as it reads `user:pass@`). */
function redactUrl(url: string): string {
  // Read as ioredis reads it (WHATWG URL: the userinfo ends at the last `@`), then rebuilt without what it may hold.
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username || u.password ? '***@' : ''}${u.host}${u.pathname}`;
  } catch {
    return 'the configured URL';
  }
}
