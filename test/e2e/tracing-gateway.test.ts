/**
 * Traces through the gateway, as a collector receives them: a live stack with `observe.tracing` pointing at an
 * OTLP/HTTP receiver on a real socket, the official openai client as the caller, vLLM mocks as backends that
 * record the traceparent they got. Spans, parent/child links, GenAI attributes, failed and cut requests, the
 * trace context each backend received, no prompt text or keys unless captureContent, and reloads that turn
 * content capture on and tracing off (the client's headers then pass through untouched).
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { eventually, profileFor, useGateway } from '../helpers/gateway.js';
import { type ReceivedSpan, useOtlpReceiver } from '../helpers/otlp-receiver.js';

const receiver = await useOtlpReceiver();

const KEY = 'sk-acme-CANARY-3b9d';
const PROMPT = 'SECRET-PROMPT-8e1a tell me about the launch';
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

const profile = (tracing: string) => `
version: 1
${tracing}
backends:
  broken: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [up-model], faults: { rate: 1, kinds: ["status:503"] } } }
  m1: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [up-model] } }
models:
  llama: { targets: [{ backend: broken, model: up-model }], fallbacks: [llama-b] }
  llama-b: { targets: [{ backend: m1, model: up-model }] }
  direct: { targets: [{ backend: m1, model: up-model }] }
resilience: { consecutiveFailures: 1000 }
tenants:
  acme: { keys: ["${KEY}"] }
`;
const TRACING = `observe: { tracing: { otlp: "{{otlp}}", sampleRatio: 1, headers: { x-collector-key: collector-CANARY } } }`;

const gw = await useGateway(profile(TRACING), { otlp: receiver.url });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });

const flush = () => gw.gateway.state.runtime.services.tracing.flush();

/** The spans of one trace once its server span has arrived (spans end after the response, when the request settles). */
async function traceOf(traceId: () => string | undefined): Promise<{ server: ReceivedSpan; attempts: ReceivedSpan[] }> {
  let server: ReceivedSpan | undefined;
  await eventually(async () => {
    await flush();
    const id = traceId();
    server = receiver.spans.find((s) => s.kind === 2 && (id === undefined || s.traceId === id));
    return server !== undefined;
  });
  const attempts = receiver.spans
    .filter((s) => s.kind === 3 && s.traceId === server!.traceId)
    .sort((a, b) => Number(a.attributes['aigw.attempt']) - Number(b.attributes['aigw.attempt']));
  return { server: server!, attempts };
}

const traceparentsOf = async (mock: string) =>
  ((await (await fetch(`${gw.mocks[mock]!.url}/mock/stats`)).json()) as { traceparents: string[] }).traceparents;
const exported = () => receiver.exports.map((e) => e.text ?? '').join('\n');

describe('a traced request through the gateway', () => {
  it('continues the client trace: a server span, one client span per attempt, each attempt its own parent upstream', async () => {
    receiver.clear();
    const stream = await client.chat.completions.create(
      { model: 'llama', messages: [{ role: 'user', content: PROMPT }], max_tokens: 5, stream: true, temperature: 0.5 },
      { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'vendor=abc' } },
    );
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);

    const { server, attempts } = await traceOf(() => CLIENT_TRACE);
    expect(server.parentSpanId).toBe(CLIENT_SPAN);
    expect(server.name).toBe('chat llama');
    expect(server.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'llama',
      'gen_ai.response.model': 'up-model',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.max_tokens': 5,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': expect.any(Number),
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.response.finish_reasons': ['length'],
      'gen_ai.response.id': expect.stringMatching(/\S/),
      'gen_ai.response.time_to_first_chunk': expect.any(Number),
      'aigw.tenant': 'acme',
      'aigw.backend': 'm1',
      'http.response.status_code': 200,
    });
    expect(server.attributes['aigw.request_id']).toMatch(/\S/);
    expect(server.status.code).toBe(0);

    // The first target fails (503) and the fallback answers: two attempts, children of the server span.
    expect(attempts.map((a) => [a.attributes['aigw.backend'], a.attributes['http.response.status_code'], a.status.code])).toEqual([
      ['broken', 503, 2],
      ['m1', 200, 0],
    ]);
    expect(attempts.map((a) => a.parentSpanId)).toEqual([server.spanId, server.spanId]);
    expect(attempts[0]!.attributes).toMatchObject({ 'aigw.attempt': 1, 'error.type': 'status', 'gen_ai.request.model': 'up-model' });
    expect(attempts[1]!.attributes).toMatchObject({ 'aigw.attempt': 2, 'gen_ai.provider.name': 'openai', 'server.address': '127.0.0.1' });

    // Each backend got the trace with its own attempt span as the parent (not the client's span).
    expect(await traceparentsOf('broken')).toContain(`00-${CLIENT_TRACE}-${attempts[0]!.spanId}-01`);
    expect(await traceparentsOf('m1')).toContain(`00-${CLIENT_TRACE}-${attempts[1]!.spanId}-01`);

    // No prompt, no answer, no key, no collector credential in any exported span.
    const raw = exported();
    expect(raw).not.toContain('SECRET-PROMPT');
    expect(raw).not.toContain(text);
    expect(raw).not.toContain(KEY);
    expect(raw).not.toContain('collector-CANARY');
    expect(raw).not.toContain('gen_ai.input.messages');
    expect(receiver.exports.find((e) => e.path === '/v1/traces')?.headers['x-collector-key']).toBe('collector-CANARY');
  });

  it('starts a new trace without client context, and a malformed traceparent is no failure', async () => {
    receiver.clear();
    const answer = await client.chat.completions.create(
      { model: 'direct', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 },
      { headers: { traceparent: '00-zz-not-a-trace-01' } },
    );
    expect(answer.choices[0]!.message.content).toBeTruthy();
    const { server, attempts } = await traceOf(() => undefined);
    expect(server.parentSpanId).toBeUndefined();
    expect(server.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(server.attributes).toMatchObject({ 'gen_ai.response.model': 'up-model', 'gen_ai.response.finish_reasons': ['length'] });
    expect(await traceparentsOf('m1')).toContain(`00-${server.traceId}-${attempts[0]!.spanId}-01`);
  });

  it('ends refused and cut requests with their error type', async () => {
    receiver.clear();
    const unknown = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEY}`,
        'content-type': 'application/json',
        traceparent: `00-${'a'.repeat(32)}-${CLIENT_SPAN}-01`,
      },
      body: JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(unknown.status).toBe(404);
    const noKey = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${'b'.repeat(32)}-${CLIENT_SPAN}-01` },
      body: '{}',
    });
    expect(noKey.status).toBe(401);
    const cut = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEY}`,
        'content-type': 'application/json',
        'x-mock-fault': 'reset-after:3',
        traceparent: `00-${'c'.repeat(32)}-${CLIENT_SPAN}-01`,
      },
      body: JSON.stringify({ model: 'direct', messages: [{ role: 'user', content: 'x' }], max_tokens: 50, stream: true }),
    });
    expect(await cut.text()).toContain('upstream_stream_error');

    const notFound = await traceOf(() => 'a'.repeat(32));
    expect(notFound.server.attributes).toMatchObject({ 'http.response.status_code': 404, 'error.type': 'model_not_found' });
    expect(notFound.attempts).toEqual([]);
    expect((await traceOf(() => 'b'.repeat(32))).server.attributes['error.type']).toBe('invalid_api_key');
    const broken = await traceOf(() => 'c'.repeat(32));
    expect(broken.server.attributes).toMatchObject({ 'http.response.status_code': 200, 'error.type': 'upstream_stream_error' });
    expect(broken.server.status.code).toBe(2);
    expect(broken.attempts[0]!.attributes['error.type']).toBe('upstream_stream_error');
  });

  it('puts prompt and answer text in spans only after a reload turns captureContent on', async () => {
    const withContent = TRACING.replace('sampleRatio: 1', 'sampleRatio: 1, captureContent: true');
    const before = gw.gateway.state.runtime.services.tracing;
    expect((await gw.stack.reload(profileFor(profile(withContent), { otlp: receiver.url }))).ok).toBe(true);
    expect(gw.gateway.state.runtime.services.tracing).not.toBe(before);
    receiver.clear();
    const answer = await client.chat.completions.create({ model: 'direct', messages: [{ role: 'user', content: PROMPT }], max_tokens: 4 });
    const { server } = await traceOf(() => undefined);
    expect(String(server.attributes['gen_ai.input.messages'])).toContain('SECRET-PROMPT');
    expect(String(server.attributes['gen_ai.output.messages'])).toContain(answer.choices[0]!.message.content!);
    expect(exported()).not.toContain(KEY);
  });

  it('passes the client trace context through untouched once a reload turns tracing off', async () => {
    expect((await gw.stack.reload(profileFor(profile(''), { otlp: receiver.url }))).ok).toBe(true);
    expect(gw.gateway.state.runtime.services.tracing.enabled).toBe(false);
    const traceparent = `00-${'d'.repeat(32)}-${CLIENT_SPAN}-01`;
    await client.chat.completions.create(
      { model: 'direct', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 },
      { headers: { traceparent } },
    );
    expect((await traceparentsOf('m1')).at(-1)).toBe(traceparent);
    const events = gw.eventsOf('request');
    expect(events.at(-1)).toMatchObject({ provider: 'openai', responseModel: 'up-model', backend: 'm1' });
  });
});
