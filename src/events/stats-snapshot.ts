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
  /**
   * Its attempts that failed over to another, plus its requests that ended in a 5xx or were cut — its own failures: not
   * the gateway's endings (the drain, its response buffer, its queue or descriptors) nor an `excused` deadline.
   */
  errors: count,
  /** Spend on this backend for this model, USD (answers from priced targets). */
  costUsd: count.default(0),
  ejected: z.boolean(),
  tokens: z.object({ input: count, output: count }),
  latencyMs: QuantilesSchema,
  /**
   * Answers behind `latencyMs` (a request its client left, one the gateway ended, a 4xx is none): zeros while 0. Absent
   * from a gateway that did not say.
   */
  latencySamples: count.optional(),
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

/** Where a snapshot read with `readStatsSnapshot` is wrong (the first place found), and how. */
export interface SnapshotProblem {
  path: PropertyKey[];
  message: string;
}

const TopSchema = StatsSnapshotSchema.omit({ models: true, tenants: true, refusals: true, truncations: true });
const ModelHeadSchema = ModelSnapshotSchema.omit({ backends: true });

/** Thrown inside readStatsSnapshot to stop at the first problem. */
class Stop {
  constructor(readonly problem: SnapshotProblem) {}
}

function checked<T>(schema: z.ZodType<T>, value: unknown, path: PropertyKey[]): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new Stop({ path: [...path, ...issue.path], message: issue.message });
}

/** An object's own entries, `__proto__` left out (assigned, it would set the prototype of what is built). */
function entriesOf(value: unknown, path: PropertyKey[]): [string, unknown][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Stop({ path, message: 'expected an object' });
  return Object.entries(value).filter(([k]) => k !== '__proto__');
}

function itemsOf(value: unknown, path: PropertyKey[]): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Stop({ path, message: 'expected an array' });
  return value;
}

/**
 * A snapshot from the wire, checked against the schemas one entry of each list at a time, stopping at the first one
 * wrong. The schema read whole reports every problem it finds, each an issue with its path and message: 1,000,000 zeros
 * under `refusals` (2 MiB) held `aigw top`'s event loop 6.3 s and 636 MB on every poll, and 8 MiB of such entries (under
 * its bound: 4,000,000 zeros, then 2,700,000 empty objects) ran a reader out of heap. Now 150 ms, most of it JSON.parse.
 */
export function readStatsSnapshot(json: unknown): { ok: true; stats: StatsSnapshot } | { ok: false; problem: SnapshotProblem } {
  try {
    const top = checked(TopSchema, json, []);
    const o = json as Record<string, unknown>;
    const models: Record<string, ModelSnapshot> = {};
    for (const [name, m] of entriesOf(o.models, ['models'])) {
      const head = checked(ModelHeadSchema, m, ['models', name]);
      const backends: Record<string, BackendSnapshot> = {};
      const at = ['models', name, 'backends'];
      for (const [b, v] of entriesOf((m as Record<string, unknown>).backends, at))
        backends[b] = checked(BackendSnapshotSchema, v, [...at, b]);
      models[name] = { ...head, backends };
    }
    const tenants: Record<string, TenantSnapshot> = {};
    for (const [name, t] of entriesOf(o.tenants, ['tenants'])) tenants[name] = checked(TenantSnapshotSchema, t, ['tenants', name]);
    const refusals = itemsOf(o.refusals, ['refusals']).map((r, i) => checked(RefusalCountSchema, r, ['refusals', i]));
    const truncations = itemsOf(o.truncations, ['truncations']).map((t, i) => checked(TruncationSnapshotSchema, t, ['truncations', i]));
    return { ok: true, stats: { ...top, models, tenants, refusals, truncations } };
  } catch (e) {
    if (e instanceof Stop) return { ok: false, problem: e.problem };
    throw e;
  }
}
