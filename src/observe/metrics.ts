/**
 * The gateway's Prometheus metrics, fed by the event bus (never by the request path itself). Token usage,
 * request duration, time to first token and time per output token carry the names and labels Envoy AI Gateway
 * exports (OpenTelemetry GenAI conventions), so its Grafana dashboard works unchanged; the rest is `aigw_`.
 * Label values only ever take configured names (or `unknown`): 10k random model names in requests cannot
 * blow up the series count (genai-labels.ts bounds them).
 */
import type { EventBus } from '../events/bus.js';
import type { GatewayEvent, RequestEvent } from '../events/types.js';
import { genAiLabels, type LabelScope } from './genai-labels.js';
import { LearnedNames } from './learned-names.js';
import { Counter, Gauge, Histogram } from './prometheus.js';

export type { LabelScope } from './genai-labels.js';

const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 15, 20, 30, 45, 60];
const TPOT_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];

/** Envoy AI Gateway's label set, in its order. */
/** Response model names learned from answers, beyond the configured ones (series are bounded by this). */
export const LEARNED_RESPONSE_MODELS = 32;

const GENAI = ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_original_model', 'gen_ai_request_model', 'gen_ai_response_model'];

export class GatewayMetrics {
  readonly tokens = new Histogram(
    'gen_ai_client_token_usage',
    'Tokens used per request, by type (input, output, total, cached_input, cache_creation_input).',
    [...GENAI, 'gen_ai_token_type'],
    TOKEN_BUCKETS,
  );
  readonly duration = new Histogram(
    'gen_ai_server_request_duration_seconds',
    'Time to the last byte of the answer, failures included (with error_type).',
    [...GENAI, 'error_type'],
    DURATION_BUCKETS,
  );
  readonly ttft = new Histogram('gen_ai_server_time_to_first_token_seconds', 'Time to the first streamed token.', GENAI, TTFT_BUCKETS);
  readonly tpot = new Histogram(
    'gen_ai_server_time_per_output_token_seconds',
    'Time per output token after the first.',
    GENAI,
    TPOT_BUCKETS,
  );
  readonly requests = new Counter('aigw_requests_total', 'Finished requests by model, backend and status.', ['model', 'backend', 'status']);
  readonly routed = new Counter(
    'aigw_routed_requests_total',
    'Attempts routed to each backend, by model: a request that failed over counts once per backend it tried.',
    ['model', 'backend'],
  );
  readonly rateLimited = new Counter('aigw_rate_limited_total', 'Requests refused by a tenant limit, by kind.', ['tenant', 'kind']);
  readonly truncations = new Counter('aigw_truncations_total', 'Answers cut after bytes went out, by reason.', [
    'model',
    'backend',
    'reason',
  ]);
  readonly upstreamErrors = new Counter('aigw_upstream_errors_total', 'Failed upstream attempts, by reason.', [
    'model',
    'backend',
    'reason',
  ]);
  readonly clientAborts = new Counter('aigw_client_aborts_total', 'Requests the client left before the answer ended.', ['model']);
  readonly inflight = new Gauge('aigw_inflight_requests', 'Requests in flight.', []);
  readonly eventDrops = new Counter('aigw_event_subscriber_drops_total', 'Events dropped for slow /aigw/events subscribers.', []);
  readonly cost = new Counter('aigw_cost_usd_total', "Spend in USD, from usage and the serving target's pricing.", [
    'tenant',
    'model',
    'backend',
  ]);
  /** Outlives scopes: a reload does not forget the names it has series for. */
  private readonly responseModels = new LearnedNames(LEARNED_RESPONSE_MODELS);

  constructor(
    private scope: LabelScope,
    private readonly inflightNow: () => number,
  ) {}

  setScope(scope: LabelScope): void {
    this.scope = scope;
  }

  attach(bus: EventBus): () => void {
    return bus.subscribe((e) => this.record(e));
  }

  private model(m: string): string {
    return this.scope.models.has(m) ? m : 'unknown';
  }
  private tenant(t: string | undefined): string {
    return t === undefined ? 'none' : this.scope.tenants.has(t) ? t : 'unknown';
  }
  private backend(b: string | undefined): string {
    return b !== undefined && this.scope.backends.has(b) ? b : 'none';
  }

  /** Label tuples reused across events: a series copies its values only when it is created. */
  private readonly base: string[] = new Array(GENAI.length);
  private readonly typed: string[] = new Array(GENAI.length + 1);

  private recordRequest(e: RequestEvent): void {
    const model = this.model(e.model);
    const backend = this.backend(e.backend);
    this.requests.inc([model, backend, String(e.status)]);
    // Attempts only: a backend named with none made is an answer the gateway gave itself (stats.ts says which).
    if (e.backend !== undefined && e.attempts > 0) this.routed.inc([model, backend]);
    if (e.clientAborted) this.clientAborts.inc([model]);
    if (e.costUsd !== undefined && e.costUsd > 0) this.cost.inc([this.tenant(e.tenant), model, backend], e.costUsd);

    const l = genAiLabels(e, this.scope, this.responseModels);
    const base = this.base;
    base[0] = l.operation;
    base[1] = l.provider;
    base[2] = l.originalModel;
    base[3] = l.requestModel;
    base[4] = l.responseModel;
    const typed = this.typed;
    for (let i = 0; i < base.length; i++) typed[i] = base[i]!;
    typed[base.length] = l.errorType;
    this.duration.observe(typed, e.durationMs / 1000);
    if (e.status < 200 || e.status >= 300) return;

    // Tokens are recorded whenever an answer started: a stream cut or left half-way still consumed them.
    const t = e.tokens;
    const input = t.inputSource !== 'none';
    const output = t.outputSource !== 'none';
    if (input) this.observeTokens('input', t.input);
    if (output) this.observeTokens('output', t.output);
    if (input || output) this.observeTokens('total', (input ? t.input : 0) + (output ? t.output : 0));
    if (e.cachedInputTokens !== undefined) this.observeTokens('cached_input', e.cachedInputTokens);
    if (e.cacheWriteInputTokens !== undefined) this.observeTokens('cache_creation_input', e.cacheWriteInputTokens);

    if (e.ttftMs !== undefined) {
      this.ttft.observe(base, e.ttftMs / 1000);
      // Envoy AI Gateway's definition, for successful answers only: (duration - TTFT) / (output tokens - 1).
      if (l.errorType === '' && t.output > 1) this.tpot.observe(base, (e.durationMs - e.ttftMs) / 1000 / (t.output - 1));
    }
  }

  /** One token-usage observation, with the labels recordRequest left in `typed`. */
  private observeTokens(type: string, n: number): void {
    this.typed[GENAI.length] = type;
    this.tokens.observe(this.typed, n);
  }

  record(e: GatewayEvent): void {
    switch (e.type) {
      case 'request':
        return this.recordRequest(e);
      case 'ratelimit':
        return this.rateLimited.inc([this.scope.tenants.has(e.tenant) ? e.tenant : 'unknown', e.kind]);
      case 'truncation':
        return this.truncations.inc([this.model(e.model), this.backend(e.backend), e.reason]);
      case 'upstream_error': {
        const model = this.model(e.model);
        const backend = this.backend(e.backend);
        // A routing decision the request's own event does not name (it names the last attempt's backend).
        if (e.retried) this.routed.inc([model, backend]);
        return this.upstreamErrors.inc([model, backend, e.reason]);
      }
      default:
    }
  }

  /** Every family, in the order /metrics shows them. */
  private families(): (Histogram | Counter | Gauge)[] {
    return [
      this.tokens,
      this.duration,
      this.ttft,
      this.tpot,
      this.requests,
      this.routed,
      this.rateLimited,
      this.truncations,
      this.upstreamErrors,
      this.clientAborts,
      this.inflight,
      this.eventDrops,
      this.cost,
    ];
  }

  render(): string {
    this.inflight.set([], this.inflightNow());
    return this.families()
      .map((m) => m.render())
      .join('');
  }

  /** Every count back to zero; in flight is not a count (it is read from the gateway at each render). */
  reset(): void {
    for (const m of this.families()) if (m !== this.inflight) m.reset();
  }
}
