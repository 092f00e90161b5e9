/**
 * Keeps the bench under a target's rate limits instead of spending a tenant's budget in a second and
 * failing every later scenario: limits are learnt from OpenAI's `x-ratelimit-*` headers (and a 429's
 * `retry-after-ms` and limit kind — with `--api anthropic`, the kind its message names), then requests wait
 * for room in two token buckets (requests, tokens) filled at 90 % of the limit, and for a free slot when the
 * target limits concurrency.
 */
import { label, type RequestRecord } from './record.js';

/** The share of a limit the bench allows itself; the rest absorbs clock skew and other clients. */
export const PACE_SHARE = 0.9;
/** The burst a bucket holds, as a share of the limit (so any window sees at most ~95 % of it). */
const BURST_SHARE = 0.05;
/** The longest the bench waits for one request's turn, or honours a retry-after. */
const MAX_WAIT_MS = 120_000;

class Bucket {
  level: number;
  private at = performance.now();
  constructor(
    readonly limit: number,
    private readonly perMs: number,
    remaining: number,
  ) {
    this.level = Math.min(remaining, this.capacity);
  }
  get capacity(): number {
    return Math.max(1, this.limit * BURST_SHARE);
  }
  refill(now: number): void {
    this.level = Math.min(Math.max(this.capacity, this.level), this.level + (now - this.at) * this.perMs);
    this.at = now;
  }
  /**
   * ms until `n` may go (0: now). A request larger than the burst goes once the bucket is full and leaves
   * it in debt, which later requests wait out: the average stays under the limit.
   */
  waitFor(n: number, now: number): number {
    this.refill(now);
    const need = Math.min(n, this.capacity);
    return this.level >= need ? 0 : (need - this.level) / this.perMs;
  }
}

export type Admission = { ok: true; release(): void } | { ok: false; reason: string; late?: boolean };

/**
 * Notices one run says; past them one more says so. A 429's type is the target's word: one naming a new type at each
 * refusal had a line printed, and kept in the report, for every one of them.
 */
export const MAX_NOTICES = 16;

const num = (v: string | undefined) => (v === undefined || v.trim() === '' ? Number.NaN : Number(v));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Pacer {
  private requests: Bucket | undefined;
  private tokens: Bucket | undefined;
  private maxInflight = Number.POSITIVE_INFINITY;
  private inflight = 0;
  private notBefore = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly said = new Set<string>();
  /** What the bench learnt, for the report. */
  readonly seen: string[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly notice: (line: string) => void,
  ) {}

  /** The key's token budget per window, once the target has said it. */
  get tokenLimit(): number | undefined {
    return this.tokens?.limit;
  }

  /** The ceiling on requests in flight learnt from concurrency refusals (Infinity: none). */
  get concurrency(): number {
    return this.maxInflight;
  }

  get active(): boolean {
    return this.requests !== undefined || this.tokens !== undefined || Number.isFinite(this.maxInflight);
  }

  /**
   * Waits (at most MAX_WAIT_MS) for room for one request reserving `tokens`; refuses one that can never fit, and one whose turn
   * would come after `deadline` (performance.now() ms: the scenario is over by then) or once `signal` is aborted (the run was
   * interrupted).
   */
  async acquire(tokens: number, deadline = Number.POSITIVE_INFINITY, signal?: AbortSignal): Promise<Admission> {
    if (this.tokens && tokens > this.tokens.limit)
      return { ok: false, reason: `needs ~${tokens} tokens, more than the key's whole budget of ${this.tokens.limit} per window` };
    // Never longer than MAX_WAIT_MS, as a retry-after: a target announcing an absurd limit cannot hold the bench.
    const until = Math.min(deadline, performance.now() + MAX_WAIT_MS);
    const turn = this.queue.then(() => this.wait(tokens, until, signal));
    this.queue = turn.then(
      () => {},
      () => {},
    );
    if (!(await turn)) {
      if (signal?.aborted) return { ok: false, reason: 'the run was interrupted while it waited for room under the limit', late: true };
      if (until < deadline) return { ok: false, reason: `no room under the target's limit within ${MAX_WAIT_MS / 1000}s` };
      return { ok: false, reason: 'the scenario ended while it waited for room under the limit', late: true };
    }
    this.inflight++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (!released) this.inflight--;
        released = true;
      },
    };
  }

  private async wait(tokens: number, deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
    for (;;) {
      const now = performance.now();
      if (now >= deadline || signal?.aborted) return false;
      const ms = Math.max(
        this.notBefore - now,
        this.requests?.waitFor(1, now) ?? 0,
        this.tokens?.waitFor(tokens, now) ?? 0,
        this.inflight >= this.maxInflight ? 5 : 0,
      );
      if (ms <= 0) break;
      await sleep(Math.min(ms, 1000, Math.max(1, deadline - now)));
    }
    if (this.requests) this.requests.level -= 1;
    if (this.tokens) this.tokens.level -= tokens;
    return true;
  }

  /** Learns from an answer: limit headers, remaining budget, and what a 429 says. */
  observe(r: Pick<RequestRecord, 'status' | 'errorType' | 'limits'>): void {
    const h = r.limits ?? {};
    const now = performance.now();
    for (const kind of ['requests', 'tokens'] as const) {
      const limit = num(h[`x-ratelimit-limit-${kind}`]);
      const remaining = num(h[`x-ratelimit-remaining-${kind}`]);
      // A limit is a whole number of requests or tokens: `0.001` or `1e400` from a target is not one to pace under.
      if (!(Number.isSafeInteger(limit) && limit >= 1)) continue;
      let b = this[kind];
      if (!b || b.limit !== limit) {
        b = this[kind] = new Bucket(
          limit,
          (PACE_SHARE * limit) / this.windowMs,
          Number.isFinite(remaining) ? Math.max(0, remaining) : limit,
        );
        this.say(
          `limit-${kind}`,
          `the target limits this key to ${limit} ${kind} per ${this.windowMs / 1000}s (x-ratelimit-limit-${kind}); ` +
            `pacing under ${Math.round(PACE_SHARE * 100)}% of it (--no-pace sends at full speed)`,
        );
      } else if (Number.isFinite(remaining)) {
        b.refill(now);
        b.level = Math.min(b.level, Math.max(0, remaining));
      }
    }
    if (r.status !== 429) return;
    const kind = r.errorType ?? 'unknown';
    if (kind === 'concurrency') {
      // Each refusal lowers the bench's own ceiling to one below what was in flight: it converges on the limit.
      this.maxInflight = Math.max(1, Math.min(this.maxInflight, this.inflight) - 1);
      this.say('concurrency', "429 concurrency: the target limits this key's requests in flight; the bench lowers its own on each refusal");
      return;
    }
    const retryMs = num(h['retry-after-ms']) >= 0 ? num(h['retry-after-ms']) : num(h['retry-after']) * 1000;
    // Past MAX_WAIT_MS, that long: ignored, the bench sent at once to a target that had asked for an hour.
    if (retryMs >= 0) this.notBefore = Math.max(this.notBefore, now + Math.min(retryMs, MAX_WAIT_MS));
    const waiting = 'waiting retry-after before the next paced request';
    // Only requests and tokens have x-ratelimit-* headers: any other kind (budget, a 429 that names no limit)
    // gets no header name made up from it.
    if (kind !== 'requests' && kind !== 'tokens') {
      this.say(`429-${kind}`, `429 ${kind}: the target rate-limits this key; ${waiting}`);
      return;
    }
    // The target's header values, printable: a C1 CSI or OSC (which undici lets through) would drive a terminal.
    const reset = label(h[`x-ratelimit-reset-${kind}`]);
    this.say(
      `429-${kind}`,
      `429 ${kind}: the target rate-limits this key (x-ratelimit-remaining-${kind} ${label(h[`x-ratelimit-remaining-${kind}`]) ?? '?'}` +
        `${reset ? `, resets in ${reset}` : ''}); ${waiting}`,
    );
  }

  private say(key: string, line: string): void {
    if (this.said.has(key) || this.seen.length > MAX_NOTICES) return;
    this.said.add(key);
    const shown = this.seen.length < MAX_NOTICES ? line : `further notices about the target's limits left out (${MAX_NOTICES} shown)`;
    this.seen.push(shown);
    this.notice(shown);
  }
}
