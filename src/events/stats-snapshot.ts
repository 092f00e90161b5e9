/**
 * The shape of `GET /aigw/stats` (the contract's admin snapshot): produced by observe/stats.ts, read by the
 * TUI and the bench. Type-only, so a stranger can import it without importing the gateway.
 */

export interface Quantiles {
  p50: number;
  p99: number;
}

export interface BackendSnapshot {
  requests: number;
  inflight: number;
  weight: number;
  expectedShare: number;
  share: number;
  errors: number;
  /** Spend on this backend for this model, USD (answers from priced targets). */
  costUsd: number;
  ejected: boolean;
  tokens: { input: number; output: number };
  latencyMs: Quantiles;
  /** Zeros when no streamed request has a first token yet: check `ttftSamples` before showing them. */
  ttftMs: Quantiles;
  ttftSamples: number;
}

export interface ModelSnapshot {
  requests: number;
  costUsd: number;
  backends: Record<string, BackendSnapshot>;
}

export interface TenantSnapshot {
  tpm: { used: number; limit: number | null };
  rpm: { used: number; limit: number | null };
  concurrency: { limit: number | null };
  /** Requests refused by this tenant's limits (429). */
  rejected: number;
  /** Spend since the gateway started, USD. */
  costUsd: number;
  /** Spend in the budget's trailing window (this gateway's view) against `limits.budget`; null without one. */
  budget: { usedUsd: number; limitUsd: number; perMs: number } | null;
}

/** Refused requests (4xx/5xx answered by the gateway or a backend), counted per tenant and code. */
export interface RefusalCount {
  /** The tenant, or null when the request had no valid key (401). */
  tenant: string | null;
  status: number;
  code: string;
  count: number;
}

export interface TruncationSnapshot {
  type: 'truncation';
  ts: number;
  requestId: string;
  model: string;
  backend: string;
  reason: string;
  stream: boolean;
  bytesDelivered: number;
  bytesExpected?: number;
}

export interface StatsSnapshot {
  ts: number;
  uptimeMs: number;
  windowMs: number;
  inflight: number;
  models: Record<string, ModelSnapshot>;
  tenants: Record<string, TenantSnapshot>;
  refusals: RefusalCount[];
  truncations: TruncationSnapshot[];
}
