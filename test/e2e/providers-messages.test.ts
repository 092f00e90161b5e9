/**
 * `POST /v1/messages` through the gateway, judged by the official @anthropic-ai/sdk: translated to a vLLM mock
 * (and an Azure one), passed through to an Anthropic mock — plain, streamed (`messages.stream()`,
 * `finalMessage()`), a tool-use round trip, images, `max_tokens` stops, usage equal to what the mock sent,
 * count_tokens, and every error raising the SDK's own class with Anthropic's error type.
 */
import Anthropic, { type APIError } from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { textTurns } from '../../src/anthropic/prompt-view.js';
import { MessagesRequest } from '../../src/anthropic/wire.js';
import { decodeSseBody } from '../../src/openai/sse.js';
import { chatPromptKey, generateText } from '../../src/mock/text.js';
import { eventually, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

/** Answers every chat request with one fixed completion, so a test can read the translated request. */
const capture = await useUpstream((_req, res) => {
  const body = JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'captured',
    choices: [{ index: 0, message: { role: 'assistant', content: 'seen' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  });
  res.writeHead(200, { 'content-type': 'application/json' }).end(body);
});

const gw = await useGateway(
  `
version: 1
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  claude: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-ant-backend, mock: { kind: anthropic } }
  azure:
    url: http://127.0.0.1:0
    kind: azure-openai
    apiKey: azure-backend
    deployment: gpt-4o-prod
    mock: { kind: azure-openai }
  capture: { url: "{{capture}}" }
  narrow: { url: http://127.0.0.1:0, pool: { connections: 1, queue: 0 }, mock: { kind: vllm } }
models:
  llama: { targets: [{ backend: vllm, model: meta-llama/Llama-3-8B }] }
  claude: { targets: [{ backend: claude, model: claude-sonnet-4-5 }] }
  gpt-4o: { targets: [{ backend: azure }] }
  capture: { targets: [{ backend: capture }] }
  narrow: { targets: [{ backend: narrow }] }
  other: { targets: [{ backend: vllm }] }
tenants:
  acme: { keys: [sk-acme], models: [llama, claude, gpt-4o, capture, narrow] }
  tiny: { keys: [sk-tiny], limits: { tpm: 200 } }
`,
  { capture: capture.url },
);

const client = new Anthropic({ apiKey: 'sk-acme', baseURL: gw.url, maxRetries: 0 });
const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Tell me about canary releases.' }];
/** What the mocks answer to a Messages request: the vLLM mock's text for the chat its translation carries. */
const expectedText = (req: { system?: unknown; messages: unknown }, n: number) =>
  generateText(chatPromptKey(textTurns(MessagesRequest.parse({ model: 'x', max_tokens: n, ...req }))), undefined, n);

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
    required: ['city'],
  },
};

async function mockTokens(name: string): Promise<{ prompt: number; completion: number }> {
  return (await gw.mockStats(name)).tokens;
}

describe.each([
  ['a vLLM backend (translated)', 'llama', 'vllm', 'meta-llama/Llama-3-8B'],
  ['an Anthropic backend (passed through)', 'claude', 'claude', 'claude-sonnet-4-5'],
  ['an Azure OpenAI backend (translated)', 'gpt-4o', 'azure', 'gpt-4o-prod'],
])('@anthropic-ai/sdk → /v1/messages → %s', (_name, model, backend, answering) => {
  it('answers exactly max_tokens tokens of the mock text, stop_reason max_tokens, with the usage the mock sent', async () => {
    const before = await mockTokens(backend);
    const m = await client.messages.create({ model, max_tokens: 24, system: 'Be brief.', messages });
    const after = await mockTokens(backend);
    expect(m.type).toBe('message');
    expect(m.role).toBe('assistant');
    expect(m.model).toBe(answering);
    expect(m.stop_reason).toBe('max_tokens');
    expect(m.content).toEqual([{ type: 'text', text: expectedText({ system: 'Be brief.', messages }, 24) }]);
    expect(m.usage.output_tokens).toBe(24);
    expect(m.usage.output_tokens).toBe(after.completion - before.completion);
    expect(m.usage.input_tokens).toBe(after.prompt - before.prompt);
    expect(m._request_id).toMatch(/^req/);
  });

  it('streams the same text through messages.stream() and finalMessage(), in Anthropic’s event order', async () => {
    const before = await mockTokens(backend);
    const stream = client.messages.stream({ model, max_tokens: 30, messages });
    const events: string[] = [];
    let text = '';
    stream.on('streamEvent', (e) => events.push(e.type));
    stream.on('text', (t) => {
      text += t;
    });
    const m = await stream.finalMessage();
    const after = await mockTokens(backend);
    expect(text).toBe(expectedText({ messages }, 30));
    expect(m.model).toBe(answering);
    expect(m.content).toEqual([{ type: 'text', text }]);
    expect(m.stop_reason).toBe('max_tokens');
    expect(m.usage.output_tokens).toBe(30);
    expect(m.usage.input_tokens).toBe(after.prompt - before.prompt);
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    expect(events.at(-2)).toBe('message_delta');
    expect(events.filter((e) => e === 'content_block_delta').length).toBeGreaterThan(1);
  });

  it('round-trips a tool call: tool_use, then the tool_result, then a text answer', async () => {
    const ask: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Oslo? [[mock tool=get_weather]]' }];
    const first = await client.messages.create({ model, max_tokens: 50, tools: [weather], messages: ask });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(call).toMatchObject({ type: 'tool_use', name: 'get_weather' });
    expect(typeof (call.input as { city: unknown }).city).toBe('string');
    expect(['celsius', 'fahrenheit']).toContain((call.input as { unit: unknown }).unit);

    const streamed = await client.messages.stream({ model, max_tokens: 50, tools: [weather], messages: ask }).finalMessage();
    expect(streamed.stop_reason).toBe('tool_use');
    expect(streamed.content.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'get_weather', input: call.input });

    const followUp: Anthropic.MessageParam[] = [
      ...ask,
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '12°C, rain' }] },
    ];
    const final = await client.messages.create({ model, max_tokens: 12, tools: [weather], messages: followUp });
    expect(final.stop_reason).toBe('max_tokens');
    expect(final.content).toEqual([{ type: 'text', text: expectedText({ messages: followUp }, 12) }]);
  });

  it('takes images (base64 and url) with the prompt', async () => {
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
    const m = await client.messages.create({ model, max_tokens: 8, messages: withImage });
    expect(m.content).toEqual([{ type: 'text', text: expectedText({ messages }, 8) }]);
  });

  it('counts tokens (count_tokens) as the mock counts the same prompt', async () => {
    const count = await client.messages.countTokens({ model, system: 'Be brief.', messages });
    const m = await client.messages.create({ model, max_tokens: 1, system: 'Be brief.', messages });
    expect(count.input_tokens).toBe(m.usage.input_tokens);
  });

  it('raises APIError on a mid-stream break, after the text that came', async () => {
    const stream = client.messages.stream({ model, max_tokens: 50, messages }, { headers: { 'x-mock-fault': 'reset-after:5' } });
    let text = '';
    stream.on('text', (t) => {
      text += t;
    });
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(expectedText({ messages }, 50).startsWith(text)).toBe(true);
    expect(text.length).toBeGreaterThan(0);
  });
});

describe('what the translation sends', () => {
  it('count_tokens to a vLLM backend refuses what /v1/messages would refuse, and counts the tool calls it carries', async () => {
    const withDocument = [
      {
        role: 'user' as const,
        content: [{ type: 'document' as const, source: { type: 'text' as const, media_type: 'text/plain' as const, data: 'doc' } }],
      },
    ];
    const refused = await client.messages.countTokens({ model: 'llama', messages: withDocument }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String((refused as Error).message)).toMatch(/document.*cannot be sent to an OpenAI backend/);
    const call = (input: object): Anthropic.MessageParam[] => [
      ...messages,
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
    ];
    const short = await client.messages.countTokens({ model: 'llama', messages: call({}) });
    const long = await client.messages.countTokens({ model: 'llama', messages: call({ city: 'x '.repeat(100) }) });
    // The arguments travel upstream as tool_calls: 100 more words are counted.
    expect(long.input_tokens - short.input_tokens).toBeGreaterThanOrEqual(50);
  });

  it('passes images through as image_url parts (a data: URL, or the URL itself: aigw never fetches it)', async () => {
    await client.messages.create({
      model: 'capture',
      max_tokens: 8,
      system: [{ type: 'text', text: 'sys' }],
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            { type: 'text', text: 'what is this?' },
          ],
        },
      ],
      // This SDK version's types no longer list temperature; the API still takes it.
    } as Anthropic.MessageCreateParamsNonStreaming);
    const sent = capture.seen.at(-1)!;
    expect(sent.url).toBe('/v1/chat/completions');
    expect(sent.headers['x-api-key']).toBeUndefined();
    expect(sent.headers['anthropic-version']).toBeUndefined();
    expect(JSON.parse(sent.body)).toEqual({
      model: 'capture',
      max_tokens: 8,
      stop: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      messages: [
        { role: 'system', content: 'sys' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            { type: 'text', text: 'what is this?' },
          ],
        },
      ],
    });
  });

  it('sends the backend its own key and version, never the client’s', async () => {
    const r = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-acme', 'anthropic-beta': 'tools-2024-04-04' },
      body: JSON.stringify({ model: 'claude', max_tokens: 3, messages }),
    });
    // The Anthropic mock requires x-api-key sk-ant-backend and an anthropic-version: the gateway sent both.
    expect(r.status).toBe(200);
    expect(r.headers.get('request-id')).toBe(r.headers.get('x-request-id'));
    expect(r.headers.get('x-aigw-backend')).toBe('claude');
  });
});

describe('errors in Anthropic’s shape, as the SDK’s own classes', () => {
  const tiny = new Anthropic({ apiKey: 'sk-tiny', baseURL: gw.url, maxRetries: 0 });
  it.each([
    [
      'an unknown model',
      () =>
        new Anthropic({ apiKey: 'sk-tiny', baseURL: gw.url, maxRetries: 0 }).messages.create({ model: 'nope', max_tokens: 5, messages }),
      Anthropic.NotFoundError,
      404,
      'not_found_error',
    ],
    [
      'a wrong key',
      () => new Anthropic({ apiKey: 'wrong', baseURL: gw.url, maxRetries: 0 }).messages.create({ model: 'llama', max_tokens: 5, messages }),
      Anthropic.AuthenticationError,
      401,
      'authentication_error',
    ],
    [
      'a model outside the allow-list',
      () => client.messages.create({ model: 'other', max_tokens: 5, messages }),
      Anthropic.PermissionDeniedError,
      403,
      'permission_error',
    ],
    [
      'no max_tokens',
      () => client.messages.create({ model: 'llama', messages } as unknown as Anthropic.MessageCreateParamsNonStreaming),
      Anthropic.BadRequestError,
      400,
      'invalid_request_error',
    ],
    [
      'a field only Anthropic can serve, to an OpenAI backend',
      () =>
        client.messages.create({ model: 'llama', max_tokens: 5, messages, container: 'c1' } as Anthropic.MessageCreateParamsNonStreaming),
      Anthropic.BadRequestError,
      400,
      'invalid_request_error',
    ],
    [
      'a malformed anthropic-version',
      () => client.messages.create({ model: 'llama', max_tokens: 5, messages }, { headers: { 'anthropic-version': 'latest' } }),
      Anthropic.BadRequestError,
      400,
      'invalid_request_error',
    ],
    [
      'a reservation over the tenant’s tokens per minute',
      () => tiny.messages.create({ model: 'llama', max_tokens: 500, messages }),
      Anthropic.RateLimitError,
      429,
      'rate_limit_error',
    ],
    [
      'a backend that fails (502)',
      () => client.messages.create({ model: 'llama', max_tokens: 5, messages }, { headers: { 'x-mock-fault': 'status:500' } }),
      Anthropic.InternalServerError,
      502,
      'api_error',
    ],
  ])('%s', async (_name, call, cls, status, type) => {
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as APIError).status).toBe(status);
    expect((err as APIError).type).toBe(type);
    expect((err as APIError).requestID).toMatch(/^req/);
  });

  it('a backend with no connection free answers 529 overloaded_error (aigw’s 503), which the SDK knows as OverloadedError', async () => {
    const held = client.messages.create({ model: 'narrow', max_tokens: 2, messages }, { headers: { 'x-mock-ttft': '1500ms' } });
    await eventually(() => gw.stack.gateway.state.runtime.backends.get('narrow')!.slots.inUse === 1, 5000);
    const err = await client.messages.create({ model: 'narrow', max_tokens: 2, messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.OverloadedError);
    expect((err as APIError).status).toBe(529);
    expect((err as APIError).type).toBe('overloaded_error');
    expect((await held).usage.output_tokens).toBe(2);
  });

  it('GET /v1/messages is a 405 in Anthropic’s shape', async () => {
    const r = await fetch(`${gw.url}/v1/messages`, { headers: { 'x-api-key': 'sk-acme' } });
    expect(r.status).toBe(405);
    expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('a backend error event mid-stream reaches the SDK as its APIError, with the text before it', async () => {
    const stream = client.messages.stream({ model: 'llama', max_tokens: 40, messages }, { headers: { 'x-mock-fault': 'error-after:4' } });
    let text = '';
    stream.on('text', (t) => {
      text += t;
    });
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(text).toBe(expectedText({ messages }, 4));
  });

  it('the raw stream of a break ends with one `event: error` and no message_stop', async () => {
    const r = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-acme', 'x-mock-fault': 'reset-after:3' },
      body: JSON.stringify({ model: 'llama', max_tokens: 20, messages, stream: true }),
    });
    const events = decodeSseBody(Buffer.from(await r.arrayBuffer()));
    expect(events.at(-1)!.event).toBe('error');
    expect(JSON.parse(events.at(-1)!.data!)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(events.filter((e) => e.event === 'error')).toHaveLength(1);
    expect(events.some((e) => e.event === 'message_stop')).toBe(false);
    await eventually(() => gw.eventsOf('truncation').length > 0);
  });
});

describe('accounting on translated traffic', () => {
  it('the request event names the provider, the answering model and the usage', async () => {
    const m = await client.messages.create({ model: 'llama', max_tokens: 7, messages });
    await eventually(() => gw.eventsOf('request').some((e) => e.requestId === m._request_id));
    const e = gw.eventsOf('request').find((x) => x.requestId === m._request_id)!;
    expect(e).toMatchObject({
      endpoint: 'messages',
      model: 'llama',
      provider: 'openai',
      backend: 'vllm',
      responseModel: 'meta-llama/Llama-3-8B',
      tokens: { input: m.usage.input_tokens, output: 7, inputSource: 'usage', outputSource: 'usage' },
    });
    const stream = client.messages.stream({ model: 'llama', max_tokens: 5, messages });
    await stream.finalMessage();
    await eventually(() => gw.eventsOf('request').some((x) => x.requestId === stream.request_id));
    const se = gw.eventsOf('request').find((x) => x.requestId === stream.request_id)!;
    expect(se).toMatchObject({ stream: true, tokens: { output: 5, outputSource: 'usage' }, responseModel: 'meta-llama/Llama-3-8B' });
    // Time to first token is the first content block, after message_start.
    expect(se.ttftMs).toBeGreaterThan(0);
    expect(se.ttftMs!).toBeLessThanOrEqual(se.durationMs);
    const c = await client.messages.create({ model: 'claude', max_tokens: 3, messages });
    await eventually(() => gw.eventsOf('request').some((x) => x.requestId === c._request_id));
    expect(gw.eventsOf('request').find((x) => x.requestId === c._request_id)).toMatchObject({ provider: 'anthropic', backend: 'claude' });
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/gen_ai_client_token_usage_sum\{[^}]*gen_ai_operation_name="messages"[^}]*gen_ai_provider_name="anthropic"/);
    expect(metrics).toMatch(/gen_ai_provider_name="azure\.openai"/);
  });

  it('count_tokens costs a request, not tokens', async () => {
    const tiny = new Anthropic({ apiKey: 'sk-tiny', baseURL: gw.url, maxRetries: 0 });
    for (let i = 0; i < 5; i++) expect((await tiny.messages.countTokens({ model: 'llama', messages })).input_tokens).toBeGreaterThan(0);
    const m = await tiny.messages.create({ model: 'llama', max_tokens: 100, messages });
    expect(m.usage.output_tokens).toBe(100);
    // The tenant's window holds what the translated answer really used: nothing for the counts.
    await eventually(async () => {
      const stats = (await (await fetch(`${gw.adminUrl}/aigw/stats`)).json()) as { tenants: Record<string, { tpm: { used: number } }> };
      return stats.tenants.tiny?.tpm.used === m.usage.input_tokens + m.usage.output_tokens;
    }, 5000);
  });
});
