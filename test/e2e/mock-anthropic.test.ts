/**
 * The Anthropic mock as the official @anthropic-ai/sdk sees it, on real sockets: plain and streamed answers
 * (`messages.stream()` and `finalMessage()`), tool use, count_tokens, and errors raising the SDK's own classes.
 */
import Anthropic, { type APIError } from '@anthropic-ai/sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textTurns } from '../../src/anthropic/prompt-view.js';
import { MessagesRequest } from '../../src/anthropic/wire.js';
import { decodeSseBody } from '../../src/openai/sse.js';
import { chatPromptKey, generateText } from '../../src/mock/text.js';
import { useMock } from '../helpers/mocks.js';

const KEY = 'sk-ant-mock-key';
const mock = await useMock({ name: 'claude-a', kind: 'anthropic', models: ['claude-sonnet-4-5'], apiKey: KEY });
const open = await useMock({ name: 'claude-open', kind: 'anthropic' });
const client = new Anthropic({ apiKey: KEY, baseURL: mock.url, maxRetries: 0 });
const MODEL = 'claude-sonnet-4-5';
const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Tell me about canary releases.' }];
const expectedText = (req: { system?: unknown; messages: unknown }, n: number) =>
  generateText(chatPromptKey(textTurns(MessagesRequest.parse({ model: MODEL, max_tokens: n, ...req }))), undefined, n);

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer' } },
    required: ['city'],
  },
};

async function raw(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${mock.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(body),
  });
}

describe('Anthropic mock through @anthropic-ai/sdk', () => {
  it('answers with exactly max_tokens tokens of the deterministic text, stop_reason max_tokens, exact usage', async () => {
    const m = await client.messages.create({ model: MODEL, max_tokens: 24, system: 'Be brief.', messages });
    expect(m.type).toBe('message');
    expect(m.model).toBe(MODEL);
    expect(m.stop_reason).toBe('max_tokens');
    expect(m.content).toEqual([{ type: 'text', text: expectedText({ system: 'Be brief.', messages }, 24) }]);
    expect(m.usage).toMatchObject({ output_tokens: 24, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    expect(m.usage.input_tokens).toBeGreaterThan(5);
    const count = await client.messages.countTokens({ model: MODEL, system: 'Be brief.', messages });
    expect(count.input_tokens).toBe(m.usage.input_tokens);
  });

  it('streams the same text: messages.stream() and finalMessage()', async () => {
    const stream = client.messages.stream({ model: MODEL, max_tokens: 30, messages });
    let text = '';
    stream.on('text', (t) => {
      text += t;
    });
    const m = await stream.finalMessage();
    expect(text).toBe(expectedText({ messages }, 30));
    expect(m.content).toEqual([{ type: 'text', text }]);
    expect(m.stop_reason).toBe('max_tokens');
    expect(m.usage.output_tokens).toBe(30);
  });

  it("sends Anthropic's event sequence, with a ping after the first content_block_start", async () => {
    const r = await raw({ model: MODEL, max_tokens: 3, messages, stream: true });
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    expect(r.headers.get('request-id')).toMatch(/^req_/);
    const events = decodeSseBody(Buffer.from(await r.arrayBuffer()));
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const e of events) expect(JSON.parse(e.data!).type).toBe(e.event);
  });

  it('calls a tool on [[mock tool=NAME]], and answers in text once the result comes back', async () => {
    const ask: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Oslo? [[mock tool=get_weather]]' }];
    const first = await client.messages.create({ model: MODEL, max_tokens: 50, tools: [weather], messages: ask });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content[0] as Anthropic.ToolUseBlock;
    expect(call).toMatchObject({ type: 'tool_use', name: 'get_weather' });
    expect(call.id).toMatch(/^toolu_/);
    expect(typeof (call.input as { city: unknown }).city).toBe('string');
    expect(['celsius', 'fahrenheit']).toContain((call.input as { unit: unknown }).unit);
    expect(Number.isInteger((call.input as { days: unknown }).days)).toBe(true);
    expect(first.usage.output_tokens).toBeGreaterThan(0);

    const streamed = await client.messages.stream({ model: MODEL, max_tokens: 50, tools: [weather], messages: ask }).finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: call.input });

    const followUp: Anthropic.MessageParam[] = [
      ...ask,
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '12°C, rain' }] },
    ];
    const final = await client.messages.create({ model: MODEL, max_tokens: 12, tools: [weather], messages: followUp });
    expect(final.stop_reason).toBe('max_tokens');
    expect((final.content[0] as Anthropic.TextBlock).text).toBe(expectedText({ messages: followUp }, 12));
  });

  it('takes images (base64 and url) and answers from the text of the prompt', async () => {
    const withImage: Anthropic.MessageParam[] = [
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          { type: 'text', text: 'Tell me about canary releases.' },
        ],
      },
    ];
    const m = await client.messages.create({ model: MODEL, max_tokens: 8, messages: withImage });
    expect((m.content[0] as Anthropic.TextBlock).text).toBe(expectedText({ messages }, 8));
  });

  it('splits prompt tokens into cache reads and writes on request', async () => {
    const plain = await client.messages.create({ model: MODEL, max_tokens: 2, messages });
    const m = await client.messages.create(
      { model: MODEL, max_tokens: 2, messages },
      { headers: { 'x-mock-cache-read': '4', 'x-mock-cache-write': '2' } },
    );
    expect(m.usage).toMatchObject({
      input_tokens: plain.usage.input_tokens - 6,
      cache_read_input_tokens: 4,
      cache_creation_input_tokens: 2,
    });
  });

  it.each([
    [
      'an unknown model',
      () => client.messages.create({ model: 'claude-nope', max_tokens: 5, messages }),
      Anthropic.NotFoundError,
      'not_found_error',
    ],
    [
      'a wrong key',
      () => new Anthropic({ apiKey: 'wrong', baseURL: mock.url, maxRetries: 0 }).messages.create({ model: MODEL, max_tokens: 5, messages }),
      Anthropic.AuthenticationError,
      'authentication_error',
    ],
    [
      'max_tokens 0',
      () => client.messages.create({ model: MODEL, max_tokens: 0, messages }),
      Anthropic.BadRequestError,
      'invalid_request_error',
    ],
    [
      'fault=overloaded',
      () => client.messages.create({ model: MODEL, max_tokens: 5, messages }, { headers: { 'x-mock-fault': 'overloaded' } }),
      Anthropic.OverloadedError,
      'overloaded_error',
    ],
    [
      'fault=status:429',
      () => client.messages.create({ model: MODEL, max_tokens: 5, messages }, { headers: { 'x-mock-fault': 'status:429' } }),
      Anthropic.RateLimitError,
      'rate_limit_error',
    ],
    [
      'an unknown tool directive',
      () => client.messages.create({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: '[[mock tool=nope]]' }] }),
      Anthropic.BadRequestError,
      'invalid_request_error',
    ],
  ])('%s raises the SDK error class with its type', async (_name, call, cls, type) => {
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as APIError).type).toBe(type);
    expect((err as APIError).requestID).toMatch(/^req_/);
  });

  it('a mid-stream error event (fault=error-after:N) raises APIError after N tokens of text', async () => {
    const stream = client.messages.stream({ model: MODEL, max_tokens: 50, messages }, { headers: { 'x-mock-fault': 'error-after:5' } });
    let text = '';
    stream.on('text', (t) => {
      text += t;
    });
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as APIError).type).toBe('overloaded_error');
    expect(text).toBe(expectedText({ messages }, 5));
  });

  it.each([
    ['no key', { 'x-api-key': '' }, 401, 'authentication_error', 'x-api-key header is required'],
    ['no anthropic-version', { 'anthropic-version': '' }, 400, 'invalid_request_error', 'anthropic-version: header is required'],
    [
      'a bad anthropic-version',
      { 'anthropic-version': 'latest' },
      400,
      'invalid_request_error',
      'anthropic-version: "latest" is not a valid version',
    ],
  ])('checks headers like the real API: %s', async (_n, headers, status, type, message) => {
    const h = Object.fromEntries(
      Object.entries({ 'x-api-key': KEY, 'anthropic-version': '2023-06-01', ...headers }).filter(([, v]) => v !== ''),
    );
    const r = await fetch(`${mock.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: '{}' });
    expect(r.status).toBe(status);
    expect(await r.json()).toMatchObject({ type: 'error', error: { type, message } });
  });

  it('takes a Bearer token instead of x-api-key, and any key when none is configured', async () => {
    const bearer = new Anthropic({ authToken: KEY, apiKey: null, baseURL: mock.url, maxRetries: 0 });
    expect((await bearer.messages.create({ model: MODEL, max_tokens: 1, messages })).usage.output_tokens).toBe(1);
    const any = new Anthropic({ apiKey: 'anything', baseURL: open.url, maxRetries: 0 });
    expect((await any.messages.create({ model: 'whatever', max_tokens: 1, messages })).model).toBe('whatever');
  });

  it.each([
    ['bad JSON', '{"model":', 400, 'invalid_request_error'],
    ['a missing field', JSON.stringify({ model: MODEL, messages }), 400, 'invalid_request_error'],
    [
      'a bad block',
      JSON.stringify({ model: MODEL, max_tokens: 3, messages: [{ role: 'user', content: [{ type: 'text' }] }] }),
      400,
      'invalid_request_error',
    ],
  ])('answers %s in its error shape', async (_n, body, status, type) => {
    const r = await fetch(`${mock.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body,
    });
    expect(r.status).toBe(status);
    const j = (await r.json()) as { type: string; error: { type: string } };
    expect(j.error.type).toBe(type);
    expect(j.type).toBe('error');
  });

  it('honours the quirks: no-done leaves out message_stop, no-usage counts 0 in message_delta, ping adds pings', async () => {
    const names = async (quirks: string) =>
      decodeSseBody(
        Buffer.from(await (await raw({ model: MODEL, max_tokens: 2, messages, stream: true }, { 'x-mock-quirks': quirks })).arrayBuffer()),
      );
    expect((await names('no-done')).map((e) => e.event).at(-1)).toBe('message_delta');
    expect(JSON.parse((await names('no-usage')).find((e) => e.event === 'message_delta')!.data!).usage).toEqual({ output_tokens: 0 });
    expect((await names('ping')).filter((e) => e.event === 'ping').length).toBeGreaterThan(3);
  });

  it('any body gets an answer or a 4xx in its error shape, never a 500 (fast-check)', async () => {
    const near = fc.record(
      {
        model: fc.oneof(fc.constant(MODEL), fc.jsonValue()),
        max_tokens: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.jsonValue()),
        messages: fc.oneof(fc.constant(messages), fc.jsonValue({ maxDepth: 4 })),
        system: fc.jsonValue({ maxDepth: 2 }),
        tools: fc.jsonValue({ maxDepth: 3 }),
        stream: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 4 }), near), async (body) => {
        const r = await raw(body);
        const text = await r.text();
        if (r.status === 200) return;
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        expect(JSON.parse(text)).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
      }),
      { numRuns: 60 },
    );
  });

  it('unknown paths get its error shape; /mock/stats counts what it served', async () => {
    const r = await fetch(`${mock.url}/v1/complete`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
    const stats = (await (await fetch(`${mock.url}/mock/stats`)).json()) as {
      requests: Record<string, number>;
      tokens: { completion: number };
      faults: Record<string, number>;
    };
    expect(stats).toMatchObject({ name: 'claude-a', kind: 'anthropic' });
    expect(stats.requests['/v1/messages']).toBeGreaterThan(5);
    expect(stats.tokens.completion).toBeGreaterThan(0);
    expect(stats.faults).toMatchObject({ status: 2, 'error-after': 1 });
  });
});
