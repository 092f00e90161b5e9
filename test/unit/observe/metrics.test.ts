/** The GenAI metrics' labels as Envoy AI Gateway exports them, bounded whatever a client or a backend sends. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../../src/core/errors.js';
import type { RequestEvent } from '../../../src/events/types.js';
import { errorTypeOf, genAiLabels, type LabelScope } from '../../../src/observe/genai-labels.js';
import { LearnedNames } from '../../../src/observe/learned-names.js';
import { GatewayMetrics, LEARNED_RESPONSE_MODELS } from '../../../src/observe/metrics.js';

const scope: LabelScope = {
  models: new Set(['llama']),
  backends: new Set(['v1', 'v2']),
  tenants: new Set(['acme']),
  upstreamModels: new Set(['meta/llama-3', 'meta/llama-3-0605']),
};

function event(over: Partial<RequestEvent> = {}): RequestEvent {
  return {
    type: 'request',
    ts: 0,
    requestId: 'r',
    endpoint: 'chat',
    model: 'llama',
    upstreamModel: 'meta/llama-3',
    backend: 'v1',
    provider: 'openai',
    responseModel: 'meta/llama-3',
    status: 200,
    stream: true,
    durationMs: 1000,
    ttftMs: 100,
    tokens: { input: 7, output: 10, inputSource: 'usage', outputSource: 'usage' },
    bytesOut: 1,
    attempts: 1,
    admitted: true,
    clientAborted: false,
    truncated: false,
    ...over,
  };
}

/** Each sample line of one metric: its labels as a map, and its value. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out = [];
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const labels: Record<string, string> = {};
    for (const l of m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

describe('GenAI labels of one request', () => {
  const cases: { name: string; e: Partial<RequestEvent>; want: Partial<ReturnType<typeof genAiLabels>> }[] = [
    {
      name: 'a success: original, request and response model, provider from the serving backend, no error',
      e: {},
      want: {
        operation: 'chat',
        provider: 'openai',
        originalModel: 'llama',
        requestModel: 'meta/llama-3',
        responseModel: 'meta/llama-3',
        errorType: '',
      },
    },
    {
      name: 'the answer names another known model',
      e: { responseModel: 'meta/llama-3-0605' },
      want: { responseModel: 'meta/llama-3-0605' },
    },
    { name: 'the answer names a model nobody configured', e: { responseModel: 'evil-1234' }, want: { responseModel: 'unknown' } },
    {
      name: 'the request path reported no provider and no answer model',
      e: { provider: undefined, responseModel: undefined },
      want: { provider: 'unknown', responseModel: 'unknown' },
    },
    { name: 'a provider from the request path', e: { provider: 'anthropic' }, want: { provider: 'anthropic' } },
    { name: 'a provider value outside the known set', e: { provider: 'x'.repeat(300) }, want: { provider: 'unknown' } },
    {
      name: 'an unknown model: nothing was routed',
      e: {
        model: 'random-1',
        upstreamModel: undefined,
        backend: undefined,
        provider: undefined,
        responseModel: undefined,
        status: 404,
        errorCode: 'model_not_found',
      },
      want: {
        originalModel: 'unknown',
        requestModel: 'unknown',
        responseModel: 'unknown',
        provider: 'unknown',
        errorType: 'model_not_found',
      },
    },
    {
      name: 'refused before routing: the request model is the one asked for',
      e: {
        upstreamModel: undefined,
        backend: undefined,
        provider: undefined,
        responseModel: undefined,
        status: 429,
        errorCode: 'rate_limit_exceeded',
      },
      want: { requestModel: 'llama', responseModel: 'unknown', errorType: 'rate_limit_exceeded' },
    },
    {
      name: 'a backend 5xx',
      e: { status: 502, errorCode: 'upstream_error', responseModel: undefined },
      want: { errorType: 'upstream_error', responseModel: 'unknown', provider: 'openai' },
    },
    {
      name: "a backend's own wire code is not a label",
      e: { status: 400, errorCode: 'context_length_exceeded' },
      want: { errorType: '_OTHER' },
    },
    {
      name: 'the error type from the request path wins over the wire code',
      e: { status: 400, errorCode: 'context_length_exceeded', errorType: 'upstream_rejected' },
      want: { errorType: 'upstream_rejected' },
    },
    { name: 'a stream cut after its 200', e: { truncated: true }, want: { errorType: '_OTHER' } },
    { name: 'the client left mid-stream', e: { clientAborted: true }, want: { errorType: 'client_aborted' } },
    { name: 'completions', e: { endpoint: 'completions' }, want: { operation: 'completion' } },
    { name: 'embeddings', e: { endpoint: 'embeddings' }, want: { operation: 'embeddings' } },
    { name: "an endpoint named like Object.prototype's members", e: { endpoint: 'valueOf' }, want: { operation: 'unknown' } },
    { name: 'a model named __proto__', e: { model: '__proto__', responseModel: 'constructor' }, want: { originalModel: 'unknown' } },
  ];
  for (const c of cases) it(c.name, () => expect(genAiLabels(event(c.e), scope)).toMatchObject(c.want));

  it('learns answer model names beyond the configured ones from answered requests, up to a bound', () => {
    const learned = new LearnedNames(2);
    const label = (responseModel: string, status = 200) => genAiLabels(event({ responseModel, status }), scope, learned).responseModel;
    expect(label('gpt-4o-2024-08-06')).toBe('gpt-4o-2024-08-06');
    // A failed request's model teaches nothing; a configured name takes no room.
    expect(label('from-an-error', 500)).toBe('unknown');
    expect(label('meta/llama-3')).toBe('meta/llama-3');
    expect(label('not a name\n')).toBe('unknown');
    expect(label('claude-3-5-sonnet-20241022')).toBe('claude-3-5-sonnet-20241022');
    // Full: later newcomers are unknown, names already learned stay.
    expect(label('newcomer')).toBe('unknown');
    expect(label('gpt-4o-2024-08-06')).toBe('gpt-4o-2024-08-06');
    expect(learned.size).toBe(2);
  });

  it('keeps every label in a bounded set whatever the event carries (property)', () => {
    const known = new Set(['unknown', ...scope.models, ...scope.upstreamModels]);
    const errorTypes = new Set(['', '_OTHER', 'client_aborted', ...Object.keys(ERROR_CATALOGUE)]);
    fc.assert(
      fc.property(
        fc.record({
          model: fc.oneof(fc.string(), fc.constant('llama')),
          upstreamModel: fc.option(fc.oneof(fc.string(), fc.constant('meta/llama-3')), { nil: undefined }),
          responseModel: fc.option(fc.string(), { nil: undefined }),
          backend: fc.option(fc.oneof(fc.string(), fc.constant('v1')), { nil: undefined }),
          provider: fc.option(fc.string(), { nil: undefined }),
          errorCode: fc.option(fc.string(), { nil: undefined }),
          errorType: fc.option(fc.string(), { nil: undefined }),
          endpoint: fc.string(),
          status: fc.integer({ min: 0, max: 599 }),
          truncated: fc.boolean(),
          clientAborted: fc.boolean(),
        }),
        (over) => {
          const l = genAiLabels(event(over), scope);
          expect(known.has(l.originalModel) && known.has(l.requestModel) && known.has(l.responseModel)).toBe(true);
          expect(['openai', 'anthropic', 'azure.openai', 'unknown']).toContain(l.provider);
          expect(['chat', 'completion', 'embeddings', 'messages', 'count_tokens', 'unknown']).toContain(l.operation);
          expect(errorTypes.has(l.errorType)).toBe(true);
          expect(l.errorType === '').toBe(errorTypeOf(event(over)) === '');
        },
      ),
    );
  });
});

describe('GatewayMetrics renders what the dashboard queries', () => {
  const metrics = () => new GatewayMetrics(scope, () => 0);

  it('records a success: duration without error_type, four token types, TTFT and TPOT', () => {
    const m = metrics();
    m.record(event({ cachedInputTokens: 3 }));
    const text = m.render();
    const [d] = samples(text, 'gen_ai_server_request_duration_seconds_count');
    expect(d).toEqual({
      labels: {
        gen_ai_operation_name: 'chat',
        gen_ai_provider_name: 'openai',
        gen_ai_original_model: 'llama',
        gen_ai_request_model: 'meta/llama-3',
        gen_ai_response_model: 'meta/llama-3',
      },
      value: 1,
    });
    const tokens = Object.fromEntries(samples(text, 'gen_ai_client_token_usage_sum').map((s) => [s.labels.gen_ai_token_type, s.value]));
    expect(tokens).toEqual({ input: 7, output: 10, total: 17, cached_input: 3 });
    expect(samples(text, 'gen_ai_server_time_to_first_token_seconds_sum')[0]!.value).toBeCloseTo(0.1);
    expect(samples(text, 'gen_ai_server_time_per_output_token_seconds_sum')[0]!.value).toBeCloseTo(0.9 / 9);
  });

  it('records a failure in the duration histogram with its error_type, and no tokens', () => {
    const m = metrics();
    m.record(
      event({
        status: 503,
        errorCode: 'no_healthy_backend',
        ttftMs: undefined,
        tokens: { input: 0, output: 0, inputSource: 'none', outputSource: 'none' },
      }),
    );
    const text = m.render();
    expect(samples(text, 'gen_ai_server_request_duration_seconds_count').map((s) => s.labels.error_type)).toEqual(['no_healthy_backend']);
    expect(samples(text, 'gen_ai_client_token_usage_count')).toEqual([]);
  });

  it('counts the tokens a stream consumed before it broke, but no TPOT for it', () => {
    const m = metrics();
    m.record(event({ truncated: true }));
    const text = m.render();
    expect(samples(text, 'gen_ai_client_token_usage_sum').find((s) => s.labels.gen_ai_token_type === 'output')!.value).toBe(10);
    expect(samples(text, 'gen_ai_server_time_per_output_token_seconds_count')).toEqual([]);
    expect(samples(text, 'gen_ai_server_request_duration_seconds_count')[0]!.labels.error_type).toBe('_OTHER');
  });

  it('records total from the known side only, and cached_input only when the backend said', () => {
    const m = metrics();
    m.record(
      event({ endpoint: 'embeddings', ttftMs: undefined, tokens: { input: 5, output: 0, inputSource: 'usage', outputSource: 'none' } }),
    );
    const tokens = Object.fromEntries(
      samples(m.render(), 'gen_ai_client_token_usage_sum').map((s) => [s.labels.gen_ai_token_type, s.value]),
    );
    expect(tokens).toEqual({ input: 5, total: 5 });
  });

  it('keeps the response model label bounded when a backend answers with a new model every time', () => {
    const m = metrics();
    for (let i = 0; i < 500; i++) m.record(event({ responseModel: `snapshot-${i}` }));
    const models = new Set(samples(m.render(), 'gen_ai_server_request_duration_seconds_count').map((s) => s.labels.gen_ai_response_model));
    expect(models.size).toBe(LEARNED_RESPONSE_MODELS + 1);
    expect(models.has('unknown')).toBe(true);
  });

  it('reuses its label tuples without mixing series up', () => {
    const m = metrics();
    m.record(event());
    m.record(event({ backend: 'v2', responseModel: 'meta/llama-3-0605' }));
    m.record(event({ status: 502, errorCode: 'upstream_error', responseModel: undefined }));
    const d = samples(m.render(), 'gen_ai_server_request_duration_seconds_count');
    expect(d.map((s) => `${s.labels.gen_ai_response_model}/${s.labels.error_type ?? ''}=${s.value}`).sort()).toEqual([
      'meta/llama-3-0605/=1',
      'meta/llama-3/=1',
      'unknown/upstream_error=1',
    ]);
  });
});

describe('aigw_cost_usd_total', () => {
  it('adds each answer’s cost under configured tenant, model and backend names only, and nothing for free answers', () => {
    const m = new GatewayMetrics(scope, () => 0);
    const cases: [Partial<RequestEvent>, string][] = [
      [{ tenant: 'acme', costUsd: 0.25 }, 'acme'],
      [{ tenant: 'acme', costUsd: 0.5 }, 'acme'],
      [{ tenant: 'someone-else', costUsd: 1 }, 'unknown'],
      [{ costUsd: 2 }, 'none'],
      [{ tenant: 'acme', costUsd: 0 }, 'acme'],
      [{ tenant: 'acme' }, 'acme'],
      [{ tenant: 'acme', model: 'random-model-x', costUsd: 4 }, 'acme'],
    ];
    for (const [e] of cases) m.record(event(e));
    const got = samples(m.render(), 'aigw_cost_usd_total').map(
      (s) => `${s.labels.tenant} ${s.labels.model} ${s.labels.backend} ${s.value}`,
    );
    expect(got.sort()).toEqual(['acme llama v1 0.75', 'acme unknown v1 4', 'none llama v1 2', 'unknown llama v1 1']);
  });
});
