/** The profile's schema (docs/contract.md §2). Every type the rest of aigw uses is inferred from here. */
import { z } from 'zod';
import { hostPortProblem } from '../core/listen.js';
import { MAX_MODEL_NAME } from '../openai/parse-request.js';
import { parseDuration, parseSize } from '../core/units.js';

/**
 * A value from `${VAR}` is always a string (an API key of digits must stay a key); numeric and boolean
 * settings accept the string form too.
 */
const fromText = (v: unknown) => {
  if (typeof v !== 'string') return v;
  if (/^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return v === 'true' ? true : v === 'false' ? false : v;
};
const env = <T extends z.ZodType>(schema: T) => z.preprocess(fromText, schema);

/**
 * Sizes and durations are finite: hundreds of digits read as Infinity, which validated and then failed where a number
 * was needed (the admin listener's createServer throws at a requestTimeout of Infinity; a cooldown never ended).
 */
const Size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = parseSize(v);
  if (n === undefined || !Number.isFinite(n)) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 512, 64Ki, 8Mi, 1Gi or 10MB, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

/** Durations become milliseconds. */
const Duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = parseDuration(v);
  if (n === undefined || !Number.isFinite(n)) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 150ms, 5s or 2m, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

/**
 * A rate-limit or budget window: cut into 60 buckets counted by number (now ÷ bucket length), which must
 * stay whole numbers well inside a double's exact range — and a window of 0 would count nothing.
 */
const Window = Duration.refine((ms) => ms >= 60, { message: 'expected a window of at least 60ms (it is cut into 60 buckets)' });

/** A Redis command's deadline: a timer of 0 fires before any reply can arrive (every command timed out: degraded or 503). */
const StoreTimeout = Duration.refine((ms) => ms >= 1, { message: 'expected a timeout of at least 1ms (0 times out every command)' });

/**
 * How long a concurrency slot outlives a replica that stopped renewing it. Never 0 — which turns a timeout off elsewhere,
 * and here expired every lease as it was taken (no concurrency limit held across replicas, nor per model) while each
 * request in flight renewed its own every millisecond (every third of the TTL). From 100ms, at most 30 renewals a second
 * a request; sub-second leases that worked before stay valid.
 */
const LeaseTtl = Duration.refine((ms) => ms >= 100, {
  message: 'expected a lease of at least 100ms (it is renewed every third of it; 0 would expire every lease as it is taken)',
});

const HostPort = z.string().superRefine((hp, ctx) => {
  // As the CLI's --listen and --admin are read: a port past 65535 validated, then failed serve with exit 1.
  const problem = hostPortProblem(hp);
  if (problem) ctx.addIssue({ code: 'custom', message: `expected ${problem}` });
});

const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'expected a name of letters, digits, and . _ : / -');

/** A mock fault, as in `x-mock-fault`: `status:503`, `reset-before-headers`, `reset-after:100`, ... (a status is a final one: no 1xx). */
export const FAULT_RE =
  /^(status:[2-5]\d\d|overloaded|reset-before-headers|reset-after:\d+|close-after:\d+|stall-after:\d+|error-after:\d+|slow-headers:\d+(\.\d+)?(us|ms|s|m))$/;

const MockFaults = z.strictObject({
  /** Share of requests (0..1) that get one of `kinds`, drawn from a PRNG seeded with `seed`. */
  rate: env(z.number().min(0).max(1)),
  seed: env(z.int()).default(1),
  kinds: z
    .array(
      z
        .string()
        .regex(
          FAULT_RE,
          'expected a fault such as status:503, overloaded, reset-before-headers, reset-after:N, close-after:N, stall-after:N, error-after:N or slow-headers:D',
        ),
    )
    .min(1)
    .default(['status:503']),
});

/**
 * A simulated prefix (KV) cache, as llm-d's inference simulator models prefill: TTFT = ttft + uncached prompt
 * tokens × prefillPerToken. Defaults: vLLM's block size (16); 4096 blocks (65,536 tokens) — far less than a
 * GPU holds (an 8B model on one H100 keeps ~30k blocks), so that a laptop bench sees eviction and a fleet
 * that scatters conversations pays for it; 0.1 ms a token, the low end of llm-d's H100 table (1–3B models).
 */
const PrefixCache = z.strictObject({
  /** Blocks the cache holds (LRU); at most 1,048,576 (16M tokens), which bounds the mock's memory. */
  blocks: env(z.int().min(1).max(1_048_576)).default(4096),
  /** Prompt tokens per block; block i's hash covers block i-1's (a chain). */
  blockTokens: env(z.int().min(1).max(1024)).default(16),
  /** Time to first token grows by this much per uncached prompt token. */
  prefillPerToken: Duration.default(0.1),
});

export const MockSchema = z.strictObject({
  kind: z.enum(['vllm', 'tei', 'anthropic', 'azure-openai']),
  /** Upstream model names this mock serves; by default the names the profile's targets send it. */
  models: z.array(z.string().min(1)).min(1).optional(),
  ttft: Duration.default(0),
  /** Per stream; 0 means as fast as possible. */
  tokensPerSecond: env(z.number().min(0)).default(0),
  /** At most mock/controls.ts's MAX_CHUNK_TOKENS, as the chunk= control: an event is built whole before it is written. */
  tokensPerChunk: env(z.int().min(1).max(65_536)).default(1),
  /** Completion tokens when a request gives no max_tokens. */
  defaultMaxTokens: env(z.int().min(1)).default(256),
  /** Embedding width (tei). */
  dimensions: env(z.int().min(1).max(65536)).default(1024),
  faults: MockFaults.optional(),
  prefixCache: PrefixCache.optional(),
  /** Connections the mock holds at once (default: half the process's open-file limit, as the gateway's listener). */
  maxConnections: env(z.int().min(1)).optional(),
});

/** Connections to one backend, and the bounded wait for one (Envoy's pending-request circuit breaker). */
const Pool = z.strictObject({
  connections: env(z.int().min(1)).optional(),
  /** Requests that may wait for a connection; beyond it, 503 upstream_unavailable. */
  queue: env(z.int().min(0)).default(1024),
  /** Longest wait for a connection (it counts against timeouts.firstByte). */
  queueTimeout: Duration.default(5000),
});

/**
 * What goes upstream in a header, checked as undici checks it: a value it refuses would fail every request to
 * the backend (and leave its pooled connections draining) instead of the profile failing to load. The message
 * never shows the value: it may be a key.
 */
const HeaderName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, "expected a header name (letters, digits and !#$%&'*+-.^_`|~)");
const HeaderValue = z
  .string()
  .regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'a header value may hold tabs, visible ASCII and Latin-1 characters only (no line breaks)');

const Backend = z.strictObject({
  url: z.string(),
  /** The API the backend speaks: OpenAI's (vLLM, TEI, OpenAI), Anthropic's Messages, or Azure OpenAI's paths. */
  kind: z.enum(['openai', 'anthropic', 'azure-openai']).default('openai'),
  apiKey: HeaderValue.min(1).optional(),
  headers: z.record(HeaderName, HeaderValue).optional(),
  /** Upper bound on pooled connections to this backend (the same as pool.connections; Envoy's default). */
  maxConnections: env(z.int().min(1)).default(1024),
  pool: Pool.prefault({}),
  /** kind: anthropic — the anthropic-version header sent upstream. */
  anthropicVersion: HeaderValue.min(1).default('2023-06-01'),
  /** kind: azure-openai — the deployment in /openai/deployments/{deployment}/…, and the api-version query. */
  deployment: z.string().min(1).optional(),
  apiVersion: z.string().min(1).optional(),
  /** Who is calling, for the backend: headers set by the gateway (client-sent copies are stripped first). */
  forwardIdentity: z.strictObject({ tenantHeader: z.string().min(1).optional(), userHeader: z.string().min(1).optional() }).optional(),
  mock: MockSchema.optional(),
});

/**
 * USD per million tokens: up to a million (a dollar a token, thousands of times any model's price). Unbounded, a
 * price of 1e308 made a request's cost Infinity — in the cost metric, in a budget's charge, and tied with an unpriced
 * target under `strategy: cost`.
 */
const Price = env(z.number().min(0).max(1_000_000));
const Pricing = z.strictObject({ input: Price, cachedInput: Price.optional(), cacheWrite: Price.optional(), output: Price });

/**
 * A target's weight: at most 2^31 − 1, the bound of an AIGatewayRoute's backendRef weight (an int32, what `import envoy`
 * reads). Weights are summed by the rotation (smooth weighted round-robin) and into group shares: two of 1e308 summed
 * to Infinity and the rotation's state became NaN — every request then went to the first target (a 50/50 split 100/0,
 * a canary's group never chosen again).
 */
const Weight = env(
  z
    .number()
    .min(0)
    .max(2 ** 31 - 1),
);

const Target = z.strictObject({
  backend: z.string(),
  /**
   * The name the backend serves it under. As long as a client's may be: a translated answer names it in every chunk,
   * and one longer is refused as a backend's (translate/mapping.ts overlongName).
   */
  model: z.string().min(1).max(MAX_MODEL_NAME, `expected at most ${MAX_MODEL_NAME} characters`).optional(),
  weight: Weight.default(1),
  pricing: Pricing.optional(),
  /** Tokens (prompt + completion) the target accepts, as vLLM's max_model_len; `cost` routes only what fits. */
  contextWindow: env(z.int().min(1)).optional(),
});

const COMPARISON_RE = /^\s*(>=|<=|>|<)\s*(\d{1,12})\s*$/;

/** `">2000"`, `">=2000"`, `"<500"` or `"<=500"`: a bound on the request's estimated prompt tokens. */
const TokenBound = z.string().transform((v, ctx) => {
  const m = COMPARISON_RE.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected a comparison such as ">2000" or "<=500", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return { op: m[1] as '>' | '>=' | '<' | '<=', tokens: Number(m[2]) };
});

/** Send the request to another public model when its prompt is large (a cheap model for short prompts). */
const Escalation = z.strictObject({
  when: z.strictObject({ promptTokens: TokenBound }),
  model: z.string().min(1),
});

const MatchRule = z.strictObject({
  when: z
    .strictObject({ tenant: z.string().optional(), headers: z.record(z.string(), z.string()).optional() })
    .refine((w) => w.tenant !== undefined || w.headers !== undefined, 'expected `tenant` or `headers`'),
  targets: z.array(Target).min(1),
});

const Model = z.strictObject({
  /** How a target is chosen within a group of interchangeable targets (weights always hold between groups). */
  strategy: z.enum(['weighted', 'least-request', 'latency', 'prefix', 'cost']).default('weighted'),
  /** Checked in order before any target is chosen; the first match routes to its model (one hop, no chains). */
  escalate: z.array(Escalation).min(1).optional(),
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
  tpm: env(z.int().min(0)).optional(),
  rpm: env(z.int().min(0)).optional(),
  concurrency: env(z.int().min(0)).optional(),
  /** Spend in USD per period, reserved and settled like tokens (429 with type budget). */
  // Up to a trillion dollars a window: a budget past a double's micro-dollars is none at all (1e308 read as Infinity).
  budget: z.strictObject({ usd: env(z.number().min(0).max(1e12)), per: Window }).optional(),
});

const Tenant = z.strictObject({
  /** API keys; a tenant may instead be reached by a JWT claim (auth.jwt) or a client certificate (mtls). */
  keys: z.array(z.string().min(1)).default([]),
  /** A client certificate whose subject or SAN matches names this tenant (needs tls.clientCa). */
  mtls: z
    .strictObject({ subject: z.string().min(1).optional(), san: z.string().min(1).optional() })
    .refine((m) => m.subject !== undefined || m.san !== undefined, 'expected `subject` or `san`')
    .optional(),
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
      enabled: env(z.boolean()).default(true),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxRequestBytes: Size.default(8 * 1024 ** 2),
      /** One SSE line larger than this ends the stream with upstream_stream_error instead of growing memory. */
      maxEventBytes: Size.default(16 * 1024 ** 2),
      /** Requests in flight across all tenants before new ones get 503 overloaded. */
      maxInflight: env(z.int().min(1)).default(10_000),
      /**
       * Client connections held at once; one more is closed as it is accepted. Default: half the process's open-file
       * limit (gateway/connection-cap.ts), so that clients never hold the descriptors the backends need.
       */
      maxConnections: env(z.int().min(1)).optional(),
      /** Connections the kernel queues before the gateway accepts them (nginx's 4096; capped by net.core.somaxconn). */
      listenBacklog: env(z.int().min(1).max(65_535)).default(4096),
      responseBuffer: z
        .strictObject({
          mode: z.enum(['passthrough', 'buffered']).default('passthrough'),
          maxBytes: Size.default(50 * 1024 ** 2),
          onOverflow: z.enum(['error', 'truncate', 'envoy']).default('error'),
        })
        .prefault({}),
      /** The rate-limit window (tests shorten it; TPM and RPM are per window). */
      rateWindow: Window.default(60_000),
      /** Reserved for completions when a request gives no max_tokens. */
      defaultCompletionTokens: env(z.int().min(1)).default(1024),
      store: z
        .strictObject({
          redis: z.string().regex(/^rediss?:\/\//, 'expected a redis:// URL'),
          /** When Redis fails: open (serve, each replica limiting to limit ÷ replicas locally) or closed (503). */
          onError: z.enum(['open', 'closed']).default('open'),
          timeout: StoreTimeout.default(100),
          /** How many gateways share the budget: the local share in degraded mode. */
          replicas: env(z.int().min(1)).default(1),
          /** A concurrency slot held by a replica that died is freed after this (live requests renew it). */
          leaseTtl: LeaseTtl.default(30_000),
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
      /**
       * How long an answer may wait for a client that reads none of it (its socket's buffers full) before the
       * connection is cut, freeing the request's slot, lease and upstream connection. The kernel takes a slow
       * reader's bytes a third of its send buffer (~1.5 MB) at a time, so a client reading slower than that per
       * window is cut too: 5 minutes cuts below ~5 KB/s (`timeouts.idle`, a minute, cut 25 KB/s readers). `0s`
       * turns the cut off, as it turns off `idle` (armed at 0 ms, it cut readers at full speed).
       */
      clientStall: Duration.default(300_000),
    })
    .prefault({}),
  /** Failover and passive outlier ejection. */
  resilience: z
    .strictObject({
      /** Attempts per request before giving up (every target and fallback is tried at least once). */
      attempts: env(z.int().min(1).max(10)).default(3),
      /** Consecutive failures that eject a backend. */
      consecutiveFailures: env(z.int().min(1)).default(3),
      cooldown: Duration.default(5000),
      maxCooldown: Duration.default(60_000),
      /** A backend's retry-after is waited for, up to this, before retrying that same backend. */
      retryAfterCap: Duration.default(1000),
    })
    .prefault({}),
  /** Traces (OpenTelemetry, OTLP/HTTP); off unless set. */
  observe: z
    .strictObject({
      tracing: z
        .strictObject({
          /** The collector's base URL: spans go to {otlp}/v1/traces. */
          otlp: z.string().regex(/^https?:\/\//, 'expected an http:// or https:// URL'),
          sampleRatio: env(z.number().min(0).max(1)).default(1),
          headers: z.record(HeaderName, HeaderValue).optional(),
          /** Prompt and answer text in spans: off by default. */
          captureContent: env(z.boolean()).default(false),
        })
        .optional(),
    })
    .prefault({}),
  /** Identities beyond API keys. */
  auth: z
    .strictObject({
      jwt: z
        .strictObject({
          /** A JWKS file path or an http(s) URL (refreshed on an interval and on an unknown kid). */
          jwks: z.string().min(1),
          issuer: z.string().min(1),
          audience: z.string().min(1),
          /** The claim whose value names the tenant. */
          tenantClaim: z.string().min(1).default('sub'),
          /** An optional claim listing the models this token may use (narrows the tenant's allow-list). */
          modelsClaim: z.string().min(1).optional(),
          /** An optional claim forwarded as the user (backends.*.forwardIdentity.userHeader). */
          userClaim: z.string().min(1).optional(),
          /** Routine refresh of the key set. */
          refreshInterval: Duration.pipe(z.number().min(1000, 'expected at least 1s')).default(300_000),
          /** Shortest time between two fetches caused by tokens naming an unknown kid: a flood of them costs one fetch. */
          refetchCooldown: Duration.pipe(z.number().min(100, 'expected at least 100ms')).default(30_000),
        })
        .optional(),
    })
    .optional(),
  /** Serve the gateway listener over HTTPS; with clientCa, client certificates can name tenants (tenants.*.mtls). */
  tls: z
    .strictObject({
      cert: z.string().min(1),
      key: z.string().min(1),
      clientCa: z.string().min(1).optional(),
      requireClientCert: env(z.boolean()).default(false),
    })
    .optional(),
  backends: z.record(Name, Backend),
  models: z.record(Name, Model),
  tenants: z.record(Name, Tenant).optional(),
});

export type Profile = z.output<typeof ProfileSchema>;
export type BackendConfig = Profile['backends'][string];
export type MockConfig = z.output<typeof MockSchema>;
export type ModelConfig = Profile['models'][string];
export type TargetConfig = ModelConfig['targets'][number];
export type StrategyName = ModelConfig['strategy'];
export type EscalationConfig = NonNullable<ModelConfig['escalate']>[number];
export type PricingConfig = NonNullable<TargetConfig['pricing']>;
export type TenantConfig = NonNullable<Profile['tenants']>[string];
