/**
 * The shape of `GET /aigw/stats` (the contract's admin snapshot): produced by observe/stats.ts, read by the
 * TUI and the bench. The types come from the schemas; a reader validates what it got against them (the admin
 * listener is input like any other), the gateway only uses the types.
 */
import { z } from 'zod';

const count = z.number().finite();

export const QuantilesSchema = z.object({ p50: count, p99: count });
export type Quantiles = z.infer<typeof QuantilesSchema>;

export const BackendSnapshotSchema = z.object({
  /** Requests this backend answered (or failed last): a request counts once, where it ended. */
  requests: count,
  inflight: count,
  weight: count,
  expectedShare: count,
  share: count,
  /** Its attempts that failed over to another, plus its requests that ended in a 5xx or were cut. */
  errors: count,
  /** Spend on this backend for this model, USD (answers from priced targets). */
  costUsd: count.default(0),
  ejected: z.boolean(),
  tokens: z.object({ input: count, output: count }),
  latencyMs: QuantilesSchema,
  /** Zeros when no streamed request has a first token yet: check `ttftSamples` before showing them. */
  ttftMs: QuantilesSchema,
  ttftSamples: count.default(0),
});
export type BackendSnapshot = z.infer<typeof BackendSnapshotSchema>;

export const ModelSnapshotSchema = z.object({
  requests: count,
  costUsd: count.default(0),
  backends: z.record(z.string(), BackendSnapshotSchema),
});
export type ModelSnapshot = z.infer<typeof ModelSnapshotSchema>;

const used = z.object({ used: count, limit: count.nullable() });

export const TenantSnapshotSchema = z.object({
  tpm: used,
  rpm: used,
  concurrency: z.object({ limit: count.nullable() }).default({ limit: null }),
  /** Requests refused by this tenant's limits (429). */
  rejected: count,
  /** Spend since the gateway started, USD. */
  costUsd: count.default(0),
  /** Spend in the budget's trailing window (this gateway's view) against `limits.budget`; null without one. */
  budget: z.object({ usedUsd: count, limitUsd: count, perMs: count }).nullable().default(null),
});
export type TenantSnapshot = z.infer<typeof TenantSnapshotSchema>;

/** Refused requests (4xx/5xx answered by the gateway or a backend), counted per tenant and code. */
export const RefusalCountSchema = z.object({
  /** The tenant, or null when the request had no valid key (401). */
  tenant: z.string().nullable(),
  status: count,
  code: z.string(),
  count,
});
export type RefusalCount = z.infer<typeof RefusalCountSchema>;

export const TruncationSnapshotSchema = z.object({
  type: z.literal('truncation'),
  ts: count,
  requestId: z.string(),
  model: z.string(),
  backend: z.string(),
  reason: z.string(),
  stream: z.boolean(),
  bytesDelivered: count,
  bytesExpected: count.optional(),
});
export type TruncationSnapshot = z.infer<typeof TruncationSnapshotSchema>;

export const StatsSnapshotSchema = z.object({
  ts: count,
  uptimeMs: count.default(0),
  windowMs: count,
  inflight: count,
  models: z.record(z.string(), ModelSnapshotSchema),
  tenants: z.record(z.string(), TenantSnapshotSchema),
  refusals: z.array(RefusalCountSchema).default([]),
  truncations: z.array(TruncationSnapshotSchema).default([]),
});
export type StatsSnapshot = z.infer<typeof StatsSnapshotSchema>;
