/**
 * `GET /aigw/stats`: a JSON snapshot of what this gateway saw — per model and backend (requests, realized
 * share vs configured weight, errors, tokens, latency and TTFT quantiles, in flight), per tenant (tokens
 * and requests in the current window vs limits, rejections), and recent truncations. Fed by the bus.
 */
import type { EventBus } from '../events/bus.js';
import type { RefusalCount, StatsSnapshot, TenantSnapshot, BackendSnapshot, ModelSnapshot } from '../events/stats-snapshot.js';
import type { GatewayEvent, TruncationEvent } from '../events/types.js';
import type { Runtime } from '../gateway/runtime.js';

const SAMPLES = 512;
const RECENT_TRUNCATIONS = 50;
const TENANT_BUCKETS = 60;
/** Distinct (tenant, status, code) refusal counters kept; codes are the gateway's own, so this is never reached in practice. */
const MAX_REFUSAL_KINDS = 1024;

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
  tokens: { input: number; output: number };
  latency: Ring;
  ttft: Ring;
}

/** Usage in the trailing window, by second-sized buckets (a local view; Redis holds the shared one). */
class WindowSum {
  private readonly values = new Float64Array(TENANT_BUCKETS + 1);
  private readonly index = new Float64Array(TENANT_BUCKETS + 1).fill(-Infinity);
  constructor(private readonly bucketMs: number) {}
  add(now: number, n: number): void {
    const b = Math.floor(now / this.bucketMs);
    const s = b % this.values.length;
    if (this.index[s] !== b) {
      this.index[s] = b;
      this.values[s] = 0;
    }
    this.values[s]! += n;
  }
  sum(now: number): number {
    const cur = Math.floor(now / this.bucketMs);
    let t = 0;
    for (let s = 0; s < this.values.length; s++) if (this.index[s]! > cur - this.values.length) t += this.values[s]!;
    return t;
  }
}

export class StatsCollector {
  private models = new Map<string, Map<string, BackendStats>>();
  private tenants = new Map<string, { tokens: WindowSum; requests: WindowSum; rejected: number }>();
  private truncations: TruncationEvent[] = [];
  /** Refused requests by `tenant|status|code` (a bounded set: configured tenants × a handful of codes). */
  private refusals = new Map<string, RefusalCount>();
  private readonly startedAt = Date.now();

  constructor(private readonly runtime: () => Runtime) {}

  attach(bus: EventBus): () => void {
    return bus.subscribe((e) => this.record(e));
  }

  private tenant(name: string) {
    let t = this.tenants.get(name);
    if (!t) {
      const bucketMs = this.runtime().profile.limits.rateWindow / TENANT_BUCKETS;
      this.tenants.set(name, (t = { tokens: new WindowSum(bucketMs), requests: new WindowSum(bucketMs), rejected: 0 }));
    }
    return t;
  }

  record(e: GatewayEvent): void {
    if (e.type === 'request') {
      if (e.status >= 400) this.refusal(e.tenant, e.status, e.errorCode ?? 'unknown');
      if (!this.runtime().routes.has(e.model) || e.backend === undefined) return;
      let m = this.models.get(e.model);
      if (!m) this.models.set(e.model, (m = new Map()));
      let b = m.get(e.backend);
      if (!b) m.set(e.backend, (b = { requests: 0, errors: 0, tokens: { input: 0, output: 0 }, latency: new Ring(), ttft: new Ring() }));
      b.requests++;
      if (e.status >= 500 || e.truncated) b.errors++;
      b.tokens.input += e.tokens.input;
      b.tokens.output += e.tokens.output;
      b.latency.push(e.durationMs);
      if (e.ttftMs !== undefined) b.ttft.push(e.ttftMs);
      if (e.tenant !== undefined) {
        const t = this.tenant(e.tenant);
        t.tokens.add(e.ts, e.tokens.input + e.tokens.output);
        t.requests.add(e.ts, 1);
      }
    } else if (e.type === 'ratelimit') this.tenant(e.tenant).rejected++;
    else if (e.type === 'truncation') {
      this.truncations.push(e);
      if (this.truncations.length > RECENT_TRUNCATIONS) this.truncations.shift();
    }
  }

  private refusal(tenant: string | undefined, status: number, code: string): void {
    const t = tenant !== undefined && this.runtime().tenants.tenants.has(tenant) ? tenant : null;
    const key = `${t}|${status}|${code}`;
    const r = this.refusals.get(key);
    if (r) r.count++;
    else if (this.refusals.size < MAX_REFUSAL_KINDS) this.refusals.set(key, { tenant: t, status, code, count: 1 });
  }

  reset(): void {
    this.refusals = new Map();
    this.models = new Map();
    this.tenants = new Map();
    this.truncations = [];
  }

  snapshot(): StatsSnapshot {
    const rt = this.runtime();
    const now = Date.now();
    const models: Record<string, ModelSnapshot> = {};
    for (const [name, route] of rt.routes) {
      const seen = this.models.get(name);
      const total = [...(seen?.values() ?? [])].reduce((s, b) => s + b.requests, 0);
      const weightSum = route.group.weights.reduce((a, b) => a + b, 0);
      const backends: Record<string, BackendSnapshot> = {};
      const names = new Set([...route.group.targets.map((t) => t.backend.name), ...(seen?.keys() ?? [])]);
      for (const backend of names) {
        const s = seen?.get(backend);
        const weight = route.group.targets.filter((t) => t.backend.name === backend).reduce((a, t) => a + t.weight, 0);
        backends[backend] = {
          requests: s?.requests ?? 0,
          inflight: rt.backends.get(backend)?.inflight ?? 0,
          weight,
          expectedShare: weightSum ? weight / weightSum : 0,
          share: total ? (s?.requests ?? 0) / total : 0,
          errors: s?.errors ?? 0,
          ejected: rt.backends.get(backend)?.health.ejected ?? false,
          tokens: s?.tokens ?? { input: 0, output: 0 },
          latencyMs: s?.latency.quantiles() ?? { p50: 0, p99: 0 },
          ttftMs: s?.ttft.quantiles() ?? { p50: 0, p99: 0 },
          ttftSamples: s?.ttft.samples ?? 0,
        };
      }
      models[name] = { requests: total, backends };
    }
    const tenants: Record<string, TenantSnapshot> = {};
    for (const [name, t] of rt.tenants.tenants) {
      const s = this.tenants.get(name);
      const limits = t.config.limits ?? {};
      tenants[name] = {
        tpm: { used: s?.tokens.sum(now) ?? 0, limit: limits.tpm ?? null },
        rpm: { used: s?.requests.sum(now) ?? 0, limit: limits.rpm ?? null },
        concurrency: { limit: limits.concurrency ?? null },
        rejected: s?.rejected ?? 0,
      };
    }
    const inflight = [...rt.backends.values()].reduce((a, b) => a + b.inflight, 0);
    return {
      ts: now,
      uptimeMs: now - this.startedAt,
      windowMs: rt.profile.limits.rateWindow,
      inflight,
      models,
      tenants,
      refusals: [...this.refusals.values()],
      truncations: this.truncations,
    };
  }
}
