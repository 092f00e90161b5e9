/**
 * Traces as a collector receives them: the tracing module driven the way the request path will drive it
 * (a request span, one span per upstream attempt, traceparent sent to a real mock backend), exported by the
 * official OpenTelemetry SDK over OTLP/HTTP to a receiver on a real socket, decoded and checked: spans,
 * parent/child links, GenAI attributes, sampling, propagation, and no prompt text or keys unless asked for.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NOOP_TRACING, type Tracing, type TracingConfig, createTracing } from '../../src/observe/tracing.js';
import { MAX_CONTENT_BYTES } from '../../src/observe/tracing-otel.js';
import { useMock } from '../helpers/mocks.js';
import { useOtlpReceiver } from '../helpers/otlp-receiver.js';

const receiver = await useOtlpReceiver();
const mock = await useMock({ name: 'm1', kind: 'vllm' });

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';
const PROMPT = 'SECRET-PROMPT-4f1c the launch codes are';
const KEY = 'sk-client-CANARY-7d2e';
const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

const tracers: Tracing[] = [];
async function tracer(over: Partial<TracingConfig> = {}): Promise<Tracing> {
  const t = await createTracing({ otlp: `${receiver.url}/`, sampleRatio: 1, captureContent: false, ...over });
  tracers.push(t);
  return t;
}

/** One request as the gateway will trace it: a failed attempt (503), then a successful one, against the mock. */
async function traced(t: Tracing, clientHeaders: Record<string, string>, prompt = PROMPT) {
  // The whole header object, credentials included, as a careless caller might pass it: only trace context is read.
  const span = t.startRequest({ ...clientHeaders, endpoint: 'chat', attrs: { requestModel: 'llama', requestId: 'req-1', maxTokens: 5 } });
  span.recordContent('input', Buffer.from(JSON.stringify([{ role: 'user', content: prompt }])));
  const sent: string[] = [];
  const call = async (attempt: number, fault?: string) => {
    const a = span.startAttempt({ backend: 'm1', attempt, upstreamModel: 'up-model', provider: 'openai', url: `${mock.url}/v1?key=x` });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (a.traceparent) headers.traceparent = a.traceparent;
    if (a.tracestate) headers.tracestate = a.tracestate;
    if (fault) headers['x-mock-fault'] = fault;
    sent.push(a.traceparent ?? '');
    const r = await fetch(`${mock.url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'up-model', messages: [{ role: 'user', content: prompt }], max_tokens: 5 }),
    });
    const json = (await r.json()) as {
      id: string;
      model: string;
      usage: { prompt_tokens: number; completion_tokens: number };
      choices: { finish_reason: string; message: { content: string } }[];
    };
    a.end(r.ok ? { status: r.status } : { status: r.status, errorType: 'status' });
    return json;
  };
  await call(1, 'status:503');
  const json = await call(2);
  // Extra keys a caller might smuggle in are not fields: they must never reach the span.
  span.setAttributes({
    responseModel: json.model,
    responseId: json.id,
    inputTokens: json.usage.prompt_tokens,
    outputTokens: json.usage.completion_tokens,
    finishReasons: json.choices.map((c) => c.finish_reason),
    ttftMs: 12,
    ...{ authorization: `Bearer ${KEY}` },
  });
  span.recordContent('output', json.choices[0]!.message.content);
  span.end(200);
  return { sent, answer: json.choices[0]!.message.content };
}

const ofTrace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
const rawExports = () => receiver.exports.map((e) => e.text ?? '').join('\n');

describe('request and attempt spans over OTLP/HTTP', () => {
  it('continues the client trace, links attempts to the request, propagates each attempt to the backend', async () => {
    receiver.clear();
    await (await fetch(`${mock.url}/mock/reset`, { method: 'POST' })).arrayBuffer();
    const t = await tracer({ headers: { 'x-collector-key': 'collector-secret' } });
    const { sent } = await traced(t, {
      traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`,
      tracestate: 'vendor=abc',
      authorization: `Bearer ${KEY}`,
    });
    await t.flush();

    // What the exporter sends: OTLP JSON to {otlp}/v1/traces with the configured headers.
    expect(receiver.exports.map((e) => [e.path, e.contentType])).toContainEqual(['/v1/traces', 'application/json']);
    expect(receiver.exports[0]!.headers['x-collector-key']).toBe('collector-secret');

    const spans = ofTrace(CLIENT_TRACE);
    expect(spans).toHaveLength(3);
    const server = spans.find((s) => s.kind === 2)!;
    const attempts = spans
      .filter((s) => s.kind === 3)
      .sort((a, b) => Number(a.attributes['aigw.attempt']) - Number(b.attributes['aigw.attempt']));
    expect(server.parentSpanId).toBe(CLIENT_SPAN);
    expect(server.name).toBe('chat llama');
    expect(server.resource['service.name']).toBe('aigw');
    expect(server.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'llama',
      'gen_ai.response.model': 'up-model',
      'gen_ai.usage.input_tokens': expect.any(Number),
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.response.finish_reasons': ['length'],
      'gen_ai.request.max_tokens': 5,
      'gen_ai.response.time_to_first_chunk': 0.012,
      'aigw.request_id': 'req-1',
      'http.response.status_code': 200,
    });
    expect(server.status.code).toBe(0);

    expect(attempts.map((a) => a.parentSpanId)).toEqual([server.spanId, server.spanId]);
    expect(attempts.map((a) => a.name)).toEqual(['chat up-model', 'chat up-model']);
    expect(attempts[0]!.attributes).toMatchObject({
      'aigw.backend': 'm1',
      'aigw.attempt': 1,
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'up-model',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(mock.url).port),
      'http.response.status_code': 503,
      'error.type': 'status',
    });
    expect(attempts[0]!.status.code).toBe(2);
    expect(attempts[1]!.attributes).toMatchObject({ 'aigw.attempt': 2, 'http.response.status_code': 200 });
    expect(attempts[1]!.status.code).toBe(0);

    // Each attempt went upstream with its own span as the parent, and the client's tracestate with it.
    expect(sent).toEqual(attempts.map((a) => `00-${CLIENT_TRACE}-${a.spanId}-01`));
    const stats = (await (await fetch(`${mock.url}/mock/stats`)).json()) as { traceparents: string[] };
    expect(stats.traceparents).toEqual(sent);

    // No prompt, no answer, no key, no collector header value in what was exported; no URL query either.
    const raw = rawExports();
    expect(raw).not.toContain('SECRET-PROMPT');
    expect(raw).not.toContain(KEY);
    expect(raw).not.toContain('collector-secret');
    expect(raw).not.toContain('gen_ai.input.messages');
    expect(raw).not.toContain('key=x');
  });

  it('keeps prompt and answer text, at most 16 KiB each, only with captureContent: true', async () => {
    receiver.clear();
    const t = await tracer({ captureContent: true });
    const long = `${PROMPT} ${'lorem ipsum '.repeat(3000)}`;
    const { answer } = await traced(t, { traceparent: `00-${'1'.repeat(32)}-${CLIENT_SPAN}-01` }, long);
    await t.flush();
    const server = ofTrace('1'.repeat(32)).find((s) => s.kind === 2)!;
    const input = String(server.attributes['gen_ai.input.messages']);
    expect(input).toContain('SECRET-PROMPT');
    expect(input.length).toBe(MAX_CONTENT_BYTES);
    expect(server.attributes['gen_ai.output.messages']).toBe(answer);
    expect(rawExports()).not.toContain(KEY);
  });

  it('samples new traces at sampleRatio and follows the client sampling decision', async () => {
    receiver.clear();
    const never = await tracer({ sampleRatio: 0 });
    // A new trace at ratio 0: nothing exported, but the backend still gets a valid, unsampled traceparent.
    const span = never.startRequest({ endpoint: 'chat' });
    expect(span.recording).toBe(false);
    const a = span.startAttempt({ backend: 'm1', attempt: 1 });
    expect(a.traceparent).toMatch(TRACEPARENT_RE);
    expect(a.traceparent!.endsWith('-00')).toBe(true);
    a.end({ status: 200 });
    span.end(200);
    // A client that sampled its trace: kept, whatever the ratio.
    await traced(never, { traceparent: `00-${'2'.repeat(32)}-${CLIENT_SPAN}-01` });
    // A client that did not: not kept, and the decision goes on upstream.
    const { sent } = await traced(never, { traceparent: `00-${'3'.repeat(32)}-${CLIENT_SPAN}-00` });
    expect(sent.every((tp) => tp.startsWith(`00-${'3'.repeat(32)}-`) && tp.endsWith('-00'))).toBe(true);
    await never.flush();
    expect(new Set(receiver.spans.map((s) => s.traceId))).toEqual(new Set(['2'.repeat(32)]));

    receiver.clear();
    const half = await tracer({ sampleRatio: 0.5 });
    for (let i = 0; i < 400; i++) half.startRequest({ endpoint: 'embeddings' }).end(200);
    await half.flush();
    // Binomial(400, 0.5): mean 200, standard deviation 10; 140..260 is six deviations wide.
    expect(receiver.spans.length).toBeGreaterThan(140);
    expect(receiver.spans.length).toBeLessThan(260);
  });

  it('ignores malformed trace context from clients: a new trace, never a failure (property)', async () => {
    const t = await tracer({ sampleRatio: 0 });
    const header = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.tuple(fc.stringMatching(/^[0-9a-f]{0,34}$/), fc.stringMatching(/^[0-9a-fA-F-]{0,20}$/)).map(([a, b]) => `00-${a}-${b}-01`),
      fc.array(fc.string(), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(header, fc.option(header, { nil: undefined }), (traceparent, tracestate) => {
        const span = t.startRequest({ endpoint: 'chat', traceparent, tracestate });
        const a = span.startAttempt({ backend: 'b', attempt: 1 });
        expect(a.traceparent).toMatch(TRACEPARENT_RE);
        if (typeof traceparent === 'string' && TRACEPARENT_RE.test(traceparent) && !/^00-0{32}-|-0{16}-/.test(traceparent))
          expect(a.traceparent!.slice(3, 35)).toBe(traceparent.slice(3, 35));
        if (a.tracestate !== undefined) expect(a.tracestate.length).toBeLessThanOrEqual(512);
        a.end({ errorType: 'connect_error' });
        span.end(0);
      }),
      { numRuns: 300 },
    );
    await t.flush();
  });

  it('loses the spans, not the request, when the collector is down', async () => {
    const down = await createTracing({ otlp: 'http://127.0.0.1:9', sampleRatio: 1, captureContent: false });
    const { sent } = await traced(down, {});
    expect(sent.every((tp) => TRACEPARENT_RE.test(tp))).toBe(true);
    await down.shutdown();
  });

  it('costs nothing when off: one shared no-op, no trace context sent upstream', async () => {
    const t = await createTracing(undefined);
    expect(t).toBe(NOOP_TRACING);
    const span = t.startRequest({ endpoint: 'chat', traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
    expect(t.startRequest({ endpoint: 'chat' })).toBe(span);
    expect(span.recording).toBe(false);
    const a = span.startAttempt({ backend: 'm1', attempt: 1 });
    expect(a.traceparent).toBeUndefined();
    expect(span.startAttempt({ backend: 'm1', attempt: 2 })).toBe(a);
  });

  it('shuts down cleanly', async () => {
    await Promise.all(tracers.map((t) => t.shutdown()));
  });
});
