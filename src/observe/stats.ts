/**
 * `GET /aigw/stats`: a JSON snapshot of what this gateway saw — per model and backend (requests, realized
 * share vs configured weight, errors, tokens, latency and TTFT quantiles, in flight), per tenant (tokens
 * and requests in the current window vs limits, rejections), and recent truncations. Fed by the bus.
 */
import type { EventBus } from '../events/bus.js';
import type { RefusalCount, StatsSnapshot, TenantSnapshot, BackendSnapshot, ModelSnapshot } from '../events/stats-snapshot.js';
import type { GatewayEvent, TruncationEvent } from '../events/types.js';
import type { GatewayView } from './gateway-view.js';

const SAMPLES = 512;
const RECENT_TRUNCATIONS = 50;
const TENANT_BUCKETS = 60;
/** Distinct (tenant, status, code) refusal counters kept of the gateway's own refusals (its codes, configured tenants). */
const MAX_REFUSAL_KINDS = 1024;
/**
 * Kinds a backend chose, kept apart: a 4xx passed through carries the backend's status (any of 400–499) and its own
 * code (any `[a-z0-9_]{1,64}`, catalogue names included). A backend sending a new one each time filled all 1,024
 * kinds, and a tenant's first 429 was then counted nowhere. Past MAX_BACKEND_KINDS a backend's new code counts as
 * `other` under its status; past twice that, a backend's new kinds are not counted — the gateway's always are.
 */
const MAX_BACKEND_KINDS = 256;
/**
 * Endings the gateway made itself, by the code it sent (never a backend's wire code): the drain's deadline (its 503,
 * a stream it ended), an answer over its response buffer (refused or cut: a size the client chooses with max_tokens),
 * its own host out of descriptors. Counted as the backend's errors, a healthy backend showed them in the stats and
 * `aigw top` while its health, rightly, counted none; they show as what they are among the refusals and truncations.
 */
const GATEWAY_ENDINGS: ReadonlySet<string> = new Set(['gateway_shutting_down', 'response_too_large', 'overloaded']);
/** Attempts the gateway refused itself, the backend never reached (its connection queue, the host's descriptors). */
const GATEWAY_REFUSALS: ReadonlySet<string> = new Set(['queue', 'local_resources']);

/** A ring of recent samples, for quantiles. */
class Ring {
  private readonly data = new Float64Array(SAMPLES);
  private n = 0;
  get samples(): number {
    return this.n;
  }
  push(v: number): void {
    this.data[this.n++ % SAMPLES] = v;
  }
  quantiles(): { p50: number; p99: number } {
    const k = Math.min(this.n, SAMPLES);
    if (!k) return { p50: 0, p99: 0 };
    const sorted = Array.from(this.data.subarray(0, k)).sort((a, b) => a - b);
    const q = (p: number) => Math.round(sorted[Math.min(k - 1, Math.floor(p * k))]! * 100) / 100;
    return { p50: q(0.5), p99: q(0.99) };
  }
}

interface BackendStats {
  requests: number;
  errors: number;
  costUsd: number;
  tokens: { input: number; output: number };
  latency: Ring;
  ttft: Ring;
}

interface TenantStats {
  tokens: WindowSum;
  requests: WindowSum;
  rejected: number;
  /** Spend since the gateway started (or was reset), and in the trailing budget window when one is set. */
  costUsd: number;
  spend: WindowSum | undefined;
}

/** Usage in the trailing window, by second-sized buckets (a local view; Redis holds the shared one). */
class WindowSum {
  private readonly values = new Float64Array(TENANT_BUCKETS + 1);
  private readonly index = new Float64Array(TENANT_BUCKETS + 1).fill(-Infinity);
  /** The newest bucket written. */
  private top = -Infinity;
  constructor(readonly bucketMs: number) {}
  add(now: number, n: number): void {
    const b = Math.floor(now / this.bucketMs);
    if (b < this.top) this.clampFuture(b);
    this.put(b, n);
  }
  /**
   * Adds `n` to the bucket of `at`, a moment at or before `now`, as the limiter counts a request where it admitted it:
   * false (nothing added) when that bucket has left the window.
   */
  addAt(at: number, now: number, n: number): boolean {
    const cur = Math.floor(now / this.bucketMs);
    if (cur < this.top) this.clampFuture(cur);
    const b = Math.min(Math.floor(at / this.bucketMs), cur);
    if (b <= cur - this.values.length) return false;
    this.put(b, n);
    return true;
  }
  private put(b: number, n: number): void {
    const s = ((b % this.values.length) + this.values.length) % this.values.length;
    if (this.index[s] !== b) {
      this.index[s] = b;
      this.values[s] = 0;
    }
    this.values[s]! += n;
    if (b > this.top) this.top = b;
  }
  sum(now: number): number {
    const cur = Math.floor(now / this.bucketMs);
    if (cur < this.top) this.clampFuture(cur);
    let t = 0;
    for (let s = 0; s < this.values.length; s++) if (this.index[s]! > cur - this.values.length) t += this.values[s]!;
    return t;
  }

  /**
   * The wall clock stepped back (NTP, a VM resumed): what was counted in buckets ahead of `cur` is counted as `cur`'s,
   * as the limiter does (tenants/limits/sliding-window.ts). Left ahead, it stayed in `used` until the clock caught up
   * with it — an hour back, an hour of a tenant's tpm and rpm at their old figures, and its budget's spend, where the
   * limiter let them leave the window after one window.
   */
  private clampFuture(cur: number): void {
    let moved = 0;
    let top = -Infinity;
    for (let s = 0; s < this.values.length; s++) {
      const b = this.index[s]!;
      if (b > cur) {
        moved += this.values[s]!;
        this.index[s] = -Infinity;
        this.values[s] = 0;
      } else if (b > top) top = b;
    }
    this.top = top;
    if (moved > 0) this.put(cur, moved);
  }
}

/** A request in flight as the stats read it: its tenant, and when that tenant's limits admitted it (undefined: not yet). */
export interface InFlightRequest {
  readonly tenant: string | undefined;
  readonly admittedTs: number | undefined;
  /** The tokens the limits reserved for it: what they count of it until it ends. */
  readonly reservedTokens: number;
  /** The spend (USD) its tenant's budget reserved for it. */
  readonly reservedUsd: number;
}

export class StatsCollector {
  private models = new Map<string, Map<string, BackendStats>>();
  private tenants = new Map<string, TenantStats>();
  private truncations: TruncationEvent[] = [];
  /** Refused requests by `tenant|status|code` (a bounded set: configured tenants × a handful of codes). */
  private refusals = new Map<string, RefusalCount>();
  private gatewayKinds = 0;
  private backendKinds = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly view: () => GatewayView,
    /**
     * The requests the gateway holds now (aigw_inflight_requests' source): with it, the top-level `inflight` counts
     * requests waiting for a backend connection, their key or their count too — the backends' own sum does not.
     */
    private readonly inflightNow?: () => number,
    /**
     * The requests in flight now: the limiter counts a request from its admission, and its event comes at its end — a
     * tenant held at its rpm by long answers read 0 used beside the 429s.
     */
    private readonly inFlight?: () => Iterable<InFlightRequest>,
  ) {}

  attach(bus: EventBus): () => void {
    return bus.subscribe((e) => this.record(e));
  }

  private tenant(name: string) {
    const bucketMs = this.view().windowMs / TENANT_BUCKETS;
    let t = this.tenants.get(name);
    // A reload that changes the window starts the tenant's local view afresh, as the limiter does.
    if (!t || t.tokens.bucketMs !== bucketMs) {
      const fresh: TenantStats = {
        tokens: new WindowSum(bucketMs),
        requests: new WindowSum(bucketMs),
        rejected: t?.rejected ?? 0,
        costUsd: t?.costUsd ?? 0,
        spend: t?.spend,
      };
      this.tenants.set(name, (t = fresh));
    }
    return t;
  }

  /** The tenant's spend in its budget's window (a local view, like tpm.used), kept only when it has a budget. */
  private spend(t: TenantStats, name: string): WindowSum | undefined {
    const per = this.view().tenants.get(name)?.budget?.per;
    if (per === undefined) return (t.spend = undefined);
    if (t.spend?.bucketMs !== per / TENANT_BUCKETS) t.spend = new WindowSum(per / TENANT_BUCKETS);
    return t.spend;
  }

  private backendStats(model: string, backend: string): BackendStats {
    let m = this.models.get(model);
    if (!m) this.models.set(model, (m = new Map()));
    let b = m.get(backend);
    if (!b) {
      b = { requests: 0, errors: 0, costUsd: 0, tokens: { input: 0, output: 0 }, latency: new Ring(), ttft: new Ring() };
      m.set(backend, b);
    }
    return b;
  }

  record(e: GatewayEvent): void {
    if (e.type === 'request') {
      // A backend's 4xx passed through (upstream_rejected) names its own status and code.
      if (e.status >= 400) this.refusal(e.tenant, e.status, e.errorCode ?? 'unknown', e.errorType === 'upstream_rejected');
      // A backend named with no attempt made is one the gateway answered for itself (count_tokens for a backend that
      // does not speak Anthropic's API, from its tokenizer): the backend never saw it. Counted as its request, one chat
      // and three counts read as 4 requests of a backend that got 1, each count's time among its latencies and a share
      // of its split. Its tenant was charged a request: counted below.
      if (e.backend !== undefined && e.attempts > 0 && this.view().models.has(e.model)) {
        const b = this.backendStats(e.model, e.backend);
        b.requests++;
        if (e.costUsd !== undefined) b.costUsd += e.costUsd;
        const ownEnding = e.errorType !== undefined && GATEWAY_ENDINGS.has(e.errorType);
        if ((e.status >= 500 || e.truncated) && !ownEnding && !e.excused) b.errors++;
        b.tokens.input += e.tokens.input;
        b.tokens.output += e.tokens.output;
        // The backend's time is its answer's: a request its client left ended when the client chose (a request left a
        // millisecond after dispatch read as a 1 ms answer, and 512 of them hid a backend taking seconds), one the
        // gateway ended itself when it chose, and a 4xx is the request's own refusal — a client's bad requests, refused
        // at once, did the same (routing/feedback.ts reads them alike: nothing of the backend's latency).
        const refusedRequest = e.status >= 400 && e.status < 500;
        if (!e.clientAborted && !ownEnding && !refusedRequest) b.latency.push(e.durationMs);
        if (e.ttftMs !== undefined) b.ttft.push(e.ttftMs);
      }
      // Every request its limits admitted counts for its tenant, as the limiter counts it: one that reached no backend
      // too (its connection queue full, a translation refused once admitted, the client gone while the gateway waited
      // to retry). Read from whether a backend was tried, the rpm the limiter charged for those was never shown: a
      // tenant refused 429 on requests read well under its rpm here.
      if (e.tenant !== undefined && e.admitted) {
        const t = this.tenant(e.tenant);
        // Where the limiter counts it: the request in its admission's bucket, which a long answer has left by its end
        // (counted at the end, a tenant read over its rpm while the limiter admitted it); its tokens settled there too
        // while that bucket is in the window, else (the limiter's carried debt) now.
        const at = e.admittedTs ?? e.ts;
        t.requests.addAt(at, e.ts, 1);
        const charge = (w: WindowSum | undefined, n: number): void => {
          if (w !== undefined && !w.addAt(at, e.ts, n)) w.add(e.ts, n);
        };
        charge(t.tokens, e.tokens.input + e.tokens.output);
        if (e.costUsd !== undefined) {
          t.costUsd += e.costUsd;
          charge(this.spend(t, e.tenant), e.costUsd);
        }
        // What the limits charged for work no usage measured: the local view of tpm and budget counts what they count.
        if (e.unmeteredCharge) {
          charge(t.tokens, e.unmeteredCharge.tokens);
          charge(this.spend(t, e.tenant), e.unmeteredCharge.costUsd);
        }
      }
    } else if (e.type === 'upstream_error') {
      // An attempt another one followed: the request's own event names only the backend that tried last, so
      // this failure is counted here or nowhere. A last attempt's failure (not retried) is that request's
      // outcome, counted with it.
      if (e.retried && !e.excused && !GATEWAY_REFUSALS.has(e.reason) && this.view().models.has(e.model)) {
        this.backendStats(e.model, e.backend).errors++;
      }
    } else if (e.type === 'ratelimit') this.tenant(e.tenant).rejected++;
    else if (e.type === 'truncation') {
      this.truncations.push(e);
      if (this.truncations.length > RECENT_TRUNCATIONS) this.truncations.shift();
    }
  }

  private refusal(tenant: string | undefined, status: number, code: string, fromBackend: boolean): void {
    const t = tenant !== undefined && this.view().tenants.has(tenant) ? tenant : null;
    // No tenant is not the tenant named "null" (a name the profile takes): `${t}` wrote both as `null`, and the
    // refusals of requests without a key and that tenant's were counted as one kind, under whichever came first.
    const who = t === null ? '' : `=${t}`;
    let key = `${who}|${status}|${code}`;
    let r = this.refusals.get(key);
    if (r) return void r.count++;
    if (!fromBackend) {
      if (this.gatewayKinds >= MAX_REFUSAL_KINDS) return;
      this.gatewayKinds++;
    } else {
      if (this.backendKinds >= MAX_BACKEND_KINDS) {
        code = 'other';
        key = `${who}|${status}|other|backend`;
        r = this.refusals.get(key);
        if (r) return void r.count++;
      }
      if (this.backendKinds >= 2 * MAX_BACKEND_KINDS) return;
      this.backendKinds++;
    }
    this.refusals.set(key, { tenant: t, status, code, count: 1 });
  }

  reset(): void {
    this.refusals = new Map();
    this.gatewayKinds = 0;
    this.backendKinds = 0;
    this.models = new Map();
    this.tenants = new Map();
    this.truncations = [];
  }

  /**
   * Requests in flight by tenant, of those its limits admitted in the window (one admitted longer ago than the window
   * the limiter no longer counts), and the tokens reserved for them: what the limiter counts of them until they end.
   */
  private admittedInFlight(view: GatewayView, now: number): Map<string, { requests: number; tokens: number; usd: number }> {
    const out = new Map<string, { requests: number; tokens: number; usd: number }>();
    if (!this.inFlight) return out;
    // The oldest bucket each window counts (WindowSum.sum): the rate window's, and a budget's of its own length.
    const oldest = (bucketMs: number) => Math.floor(now / bucketMs) - TENANT_BUCKETS;
    const rate = view.windowMs / TENANT_BUCKETS;
    for (const r of this.inFlight()) {
      if (r.tenant === undefined || r.admittedTs === undefined) continue;
      let t = out.get(r.tenant);
      if (!t) out.set(r.tenant, (t = { requests: 0, tokens: 0, usd: 0 }));
      if (Math.floor(r.admittedTs / rate) >= oldest(rate)) {
        t.requests++;
        t.tokens += r.reservedTokens;
      }
      const per = view.tenants.get(r.tenant)?.budget?.per;
      const spendMs = per === undefined ? undefined : per / TENANT_BUCKETS;
      if (spendMs !== undefined && Math.floor(r.admittedTs / spendMs) >= oldest(spendMs)) t.usd += r.reservedUsd;
    }
    return out;
  }

  snapshot(): StatsSnapshot {
    const view = this.view();
    const now = Date.now();
    const models: Record<string, ModelSnapshot> = {};
    for (const [name, targets] of view.models) {
      const seen = this.models.get(name);
      const total = [...(seen?.values() ?? [])].reduce((s, b) => s + b.requests, 0);
      const weightSum = targets.reduce((a, t) => a + t.weight, 0);
      const backends: Record<string, BackendSnapshot> = {};
      let modelCost = 0;
      const names = new Set([...targets.map((t) => t.backend), ...(seen?.keys() ?? [])]);
      for (const backend of names) {
        const s = seen?.get(backend);
        const weight = targets.filter((t) => t.backend === backend).reduce((a, t) => a + t.weight, 0);
        const live = view.backends.get(backend);
        backends[backend] = {
          requests: s?.requests ?? 0,
          inflight: live?.inflight ?? 0,
          weight,
          expectedShare: weightSum ? weight / weightSum : 0,
          share: total ? (s?.requests ?? 0) / total : 0,
          errors: s?.errors ?? 0,
          costUsd: s?.costUsd ?? 0,
          ejected: live?.ejected ?? false,
          tokens: s?.tokens ?? { input: 0, output: 0 },
          latencyMs: s?.latency.quantiles() ?? { p50: 0, p99: 0 },
          latencySamples: s?.latency.samples ?? 0,
          ttftMs: s?.ttft.quantiles() ?? { p50: 0, p99: 0 },
          ttftSamples: s?.ttft.samples ?? 0,
        };
      }
      for (const b of Object.values(backends)) modelCost += b.costUsd;
      models[name] = { requests: total, costUsd: modelCost, backends };
    }
    const tenants: Record<string, TenantSnapshot> = {};
    const admitted = this.admittedInFlight(view, now);
    for (const [name, limits] of view.tenants) {
      const s = this.tenants.get(name);
      const current = s !== undefined && s.tokens.bucketMs === view.windowMs / TENANT_BUCKETS;
      const held = admitted.get(name);
      tenants[name] = {
        tpm: { used: (current ? s.tokens.sum(now) : 0) + (held?.tokens ?? 0), limit: limits.tpm ?? null },
        rpm: { used: (current ? s.requests.sum(now) : 0) + (held?.requests ?? 0), limit: limits.rpm ?? null },
        concurrency: { limit: limits.concurrency ?? null },
        rejected: s?.rejected ?? 0,
        costUsd: s?.costUsd ?? 0,
        budget: limits.budget
          ? {
              usedUsd: (s ? (this.spend(s, name)?.sum(now) ?? 0) : 0) + (held?.usd ?? 0),
              limitUsd: limits.budget.usd,
              perMs: limits.budget.per,
            }
          : null,
      };
    }
    let inflight = 0;
    if (this.inflightNow) inflight = this.inflightNow();
    else for (const b of view.backends.values()) inflight += b.inflight;
    return {
      ts: now,
      uptimeMs: now - this.startedAt,
      windowMs: view.windowMs,
      inflight,
      models,
      tenants,
      refusals: [...this.refusals.values()],
      truncations: this.truncations,
    };
  }
}
