/** The profile's schema (contract §2). Every type the rest of aigw uses is inferred from here. */
import { z } from 'zod';
import { parseDuration, parseSize } from '../core/units.js';

const Size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = parseSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 512, 64Ki, 8Mi, 1Gi or 10MB, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

/** Durations become milliseconds. */
const Duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = parseDuration(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 150ms, 5s or 2m, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

const HostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/, 'expected HOST:PORT, such as 127.0.0.1:8080 (port 0 picks a free port)');

const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'expected a name of letters, digits, and . _ : / -');

/** A mock fault, as in `x-mock-fault`: `status:503`, `reset-before-headers`, `reset-after:100`, ... */
export const FAULT_RE =
  /^(status:[1-5]\d\d|reset-before-headers|reset-after:\d+|close-after:\d+|stall-after:\d+|slow-headers:\d+(\.\d+)?(us|ms|s|m))$/;

const MockFaults = z.strictObject({
  /** Share of requests (0..1) that get one of `kinds`, drawn from a PRNG seeded with `seed`. */
  rate: z.number().min(0).max(1),
  seed: z.int().default(1),
  kinds: z
    .array(
      z
        .string()
        .regex(
          FAULT_RE,
          'expected a fault such as status:503, reset-before-headers, reset-after:N, close-after:N, stall-after:N or slow-headers:D',
        ),
    )
    .min(1)
    .default(['status:503']),
});

export const MockSchema = z.strictObject({
  kind: z.enum(['vllm', 'tei']),
  /** Upstream model names this mock serves; by default the names the profile's targets send it. */
  models: z.array(z.string().min(1)).min(1).optional(),
  ttft: Duration.default(0),
  /** Per stream; 0 means as fast as possible. */
  tokensPerSecond: z.number().min(0).default(0),
  tokensPerChunk: z.int().min(1).default(1),
  /** Completion tokens when a request gives no max_tokens. */
  defaultMaxTokens: z.int().min(1).default(256),
  /** Embedding width (tei). */
  dimensions: z.int().min(1).max(65536).default(1024),
  faults: MockFaults.optional(),
});

const Backend = z.strictObject({
  url: z.string(),
  apiKey: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** Upper bound on pooled connections to this backend. */
  maxConnections: z.int().min(1).default(256),
  mock: MockSchema.optional(),
});

const Target = z.strictObject({
  backend: z.string(),
  model: z.string().min(1).optional(),
  weight: z.number().min(0).default(1),
});

const MatchRule = z.strictObject({
  when: z
    .strictObject({ tenant: z.string().optional(), headers: z.record(z.string(), z.string()).optional() })
    .refine((w) => w.tenant !== undefined || w.headers !== undefined, 'expected `tenant` or `headers`'),
  targets: z.array(Target).min(1),
});

const Model = z.strictObject({
  targets: z.array(Target).min(1),
  fallbacks: z.array(z.string()).default([]),
  sticky: z
    .strictObject({
      header: z
        .string()
        .min(1)
        .transform((h) => h.toLowerCase()),
    })
    .optional(),
  match: z.array(MatchRule).optional(),
});

const Limits = z.strictObject({
  tpm: z.int().min(0).optional(),
  rpm: z.int().min(0).optional(),
  concurrency: z.int().min(0).optional(),
});

const Tenant = z.strictObject({
  keys: z.array(z.string().min(1)).min(1),
  models: z.array(z.string()).optional(),
  limits: Limits.optional(),
  /** Limits per (tenant, model), on top of the tenant-wide ones. */
  modelLimits: z.record(z.string(), Limits).optional(),
});

export const ProfileSchema = z.strictObject({
  version: z.literal(1),
  listen: HostPort.default('127.0.0.1:8080'),
  admin: z
    .strictObject({
      listen: HostPort.default('127.0.0.1:9901'),
      key: z.string().min(1).optional(),
      /** false: no admin listener, no metrics, stats or event stream (request logs still work). */
      enabled: z.boolean().default(true),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxRequestBytes: Size.default(8 * 1024 ** 2),
      /** Requests in flight across all tenants before new ones get 503 overloaded. */
      maxInflight: z.int().min(1).default(10_000),
      responseBuffer: z
        .strictObject({
          mode: z.enum(['passthrough', 'buffered']).default('passthrough'),
          maxBytes: Size.default(50 * 1024 ** 2),
          onOverflow: z.enum(['error', 'truncate']).default('error'),
        })
        .prefault({}),
      /** The rate-limit window (tests shorten it; TPM and RPM are per window). */
      rateWindow: Duration.default(60_000),
      /** Reserved for completions when a request gives no max_tokens. */
      defaultCompletionTokens: z.int().min(1).default(1024),
      store: z
        .strictObject({
          redis: z.string().regex(/^rediss?:\/\//, 'expected a redis:// URL'),
          /** When Redis fails: open (serve, each replica limiting to limit ÷ replicas locally) or closed (503). */
          onError: z.enum(['open', 'closed']).default('open'),
          timeout: Duration.default(100),
          /** How many gateways share the budget: the local share in degraded mode. */
          replicas: z.int().min(1).default(1),
          /** A concurrency slot held by a replica that died is freed after this (live requests renew it). */
          leaseTtl: Duration.default(30_000),
          prefix: z.string().min(1).default('aigw'),
        })
        .optional(),
    })
    .prefault({}),
  timeouts: z
    .strictObject({
      connect: Duration.default(5000),
      firstByte: Duration.default(120_000),
      idle: Duration.default(60_000),
      /** Reading the client's headers and body. */
      request: Duration.default(30_000),
      /** On SIGTERM, how long in-flight requests may take to finish. */
      drain: Duration.default(10_000),
    })
    .prefault({}),
  /** Failover and passive outlier ejection. */
  resilience: z
    .strictObject({
      /** Attempts per request before giving up (every target and fallback is tried at least once). */
      attempts: z.int().min(1).max(10).default(3),
      /** Consecutive failures that eject a backend. */
      consecutiveFailures: z.int().min(1).default(3),
      cooldown: Duration.default(5000),
      maxCooldown: Duration.default(60_000),
      /** A backend's retry-after is waited for, up to this, before retrying that same backend. */
      retryAfterCap: Duration.default(1000),
    })
    .prefault({}),
  backends: z.record(Name, Backend),
  models: z.record(Name, Model),
  tenants: z.record(Name, Tenant).optional(),
});

export type Profile = z.output<typeof ProfileSchema>;
export type BackendConfig = Profile['backends'][string];
export type MockConfig = z.output<typeof MockSchema>;
export type ModelConfig = Profile['models'][string];
export type TargetConfig = ModelConfig['targets'][number];
export type TenantConfig = NonNullable<Profile['tenants']>[string];
