/**
 * What every scenario needs: where to send traffic, how to authenticate, what the profile (if any) says,
 * how to shape the load, and where the figures go. The bench judges any OpenAI-compatible gateway as a
 * stranger: it imports only the leaves (core, openai), profile loading and the mocks' text generator.
 */
import type { Profile } from '../profile/schema.js';
import type { BenchApi } from './anthropic-api.js';
import type { LiveFeed } from './live.js';
import type { BenchOptions } from './options.js';
import type { Pacer } from './pacer.js';
import type { RoutingOptions } from './routing-options.js';

export interface BenchTarget {
  /** Base URL of the gateway (no /v1). */
  url: string;
  /** The gateway's admin listener, when it is an aigw the bench started or was told about. */
  admin?: string;
  adminKey?: string;
  /** Mock backends by name (from the profile), for /mock/stats. */
  mocks: Record<string, string>;
  /** Backends the bench may reach straight (direct baselines), by name; absent: the mocks. */
  backends?: Record<string, string>;
  /** The gateway process, when the bench started it (for CPU figures). */
  pid?: number;
}

/** What a scenario reads of the command line as parsed (bench/options.ts), with the same meaning. */
type FromOptions = Pick<BenchOptions, 'model' | 'durationMs' | 'connections' | 'rate' | 'burstiness' | 'workload' | 'slo' | 'expect'>;

export interface BenchContext extends FromOptions {
  target: BenchTarget;
  /** The API spoken to the target (`--api`); undefined: OpenAI's. */
  api?: BenchApi | undefined;
  apiKey: string | undefined;
  /** The key of a tenant with a TPM limit on this model (for `ratelimit`), when the profile has one. */
  limitedKey: string | undefined;
  profile: Profile | undefined;
  /** The highest rate `ramp` offers (req/s); undefined: until it saturates or 10 steps. */
  rampMax?: number | undefined;
  /** Answer sizes for `long` (bytes). */
  longSizes: readonly number[] | undefined;
  /** The routing scenarios' fleets and workloads (--routing); their defaults when absent. */
  routing?: RoutingOptions | undefined;
  /** Keeps requests with `apiKey` under the target's rate limits; undefined with --no-pace. */
  pacer: Pacer | undefined;
  live: LiveFeed;
  progress(line: string): void;
  /**
   * Aborted when the run is interrupted (Ctrl-C): load stops and what is in flight is cut, later phases of a
   * scenario are skipped, and the scenario reports what it measured so far.
   */
  signal?: AbortSignal | undefined;
  /** How long an answer may still run past --duration before it is cut (default DRAIN_MS; tests shorten it). */
  drainMs?: number | undefined;
}

export type Figures = Record<string, number | string | boolean | null>;

export interface ScenarioResult {
  /** Every number behind the verdict, flat (`ttft.p50`, `split.vllm-a`); assertions read these. */
  figures: Figures;
  /** Human-readable lines for the summary. */
  lines: string[];
  /** The field's metrics (vLLM / GuideLLM names), for scenarios that generate load. */
  metrics?: unknown;
  /** Requests refused or failed, by status and code. */
  refusals?: { status: number; code: string; type?: string; count: number }[];
  /** Extra structure for --json and the HTML report (tables, distributions). */
  detail?: unknown;
  /** It was stopped at its time budget (run.ts): its figures cover a part of what it is about. */
  cutByBudget?: boolean;
}

/** The `anthropic-version` @anthropic-ai/sdk sends with every request. */
export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * The key, and under `--api anthropic` the version, as the API's own SDK sends them: Anthropic's API refuses a request
 * without `anthropic-version` (400) and reads its key from `x-api-key` — sent a Bearer token alone and no version, every
 * request of the run was refused by such a target and counted as its failure.
 */
export function authHeaders(ctx: Pick<BenchContext, 'apiKey' | 'api'>): Record<string, string> {
  if (ctx.api === 'anthropic') return { 'anthropic-version': ANTHROPIC_VERSION, ...(ctx.apiKey ? { 'x-api-key': ctx.apiKey } : {}) };
  return ctx.apiKey ? { authorization: `Bearer ${ctx.apiKey}` } : {};
}

export function adminHeaders(target: BenchTarget): Record<string, string> {
  return target.adminKey ? { authorization: `Bearer ${target.adminKey}` } : {};
}

export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * `k` of `n` as a fraction rounded to `d` places, never rounded onto 0 or 1 when it is neither (then it is the fraction as
 * it is): one failure in 300,000 requests rounded to 5 places was 0, and `--assert errors==0` passed a run that failed.
 */
export const share = (k: number, n: number, d = 4): number => {
  const r = round(k / n, d);
  return (r === 0 && k > 0) || (r === 1 && k < n) ? k / n : r;
};

/** A figure that may have no samples: rounded, or null (never NaN). */
export const fig = (x: number | undefined, d = 3): number | null => (x === undefined || !Number.isFinite(x) ? null : round(x, d));
