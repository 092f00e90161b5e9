/**
 * The official `openai` client through the gateway to backends that do not speak OpenAI's paths: an
 * Anthropic mock (chat completions translated to Messages and back) and an Azure OpenAI mock (deployment
 * paths, `api-key`) — plain, streamed (every chunk field a client reads), a tool-call round trip, images,
 * `max_tokens` stops, usage equal to what the mock sent, errors as the client's own classes, and a
 * fallback from a failing Anthropic backend to a vLLM one.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { decodeSseBody } from '../../src/openai/sse.js';
import { chatPromptKey, generateText } from '../../src/mock/text.js';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

/** An Anthropic backend that answers one fixed Message and keeps what it was sent. */
const capture = await useUpstream((_req, res) => {
  const body = JSON.stringify({
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-captured',
    content: [{ type: 'text', text: 'seen' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 3, output_tokens: 1, cache_read_input_tokens: 2, cache_creation_input_tokens: 0 },
  });
  res.writeHead(200, { 'content-type': 'application/json' }).end(body);
});

// Azure on 2024-10-21: an api-version before 2024-09-01-preview refuses stream_options, and its streams have no usage
// chunk to check (trust-azure-client-stream-options.test.ts).
const gw = await useGateway(
  `
version: 1
backends:
  claude: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-ant-backend, anthropicVersion: "2023-06-01", mock: { kind: anthropic } }
  azure: { url: http://127.0.0.1:0, kind: azure-openai, apiKey: azure-backend, apiVersion: 2024-10-21, mock: { kind: azure-openai } }
  flaky:
    url: http://127.0.0.1:0
    kind: anthropic
    mock: { kind: anthropic, faults: { rate: 1, kinds: ["status:529"] } }
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  capture: { url: "{{capture}}", kind: anthropic, apiKey: sk-ant-capture }
models:
  claude: { targets: [{ backend: claude, model: claude-sonnet-4-5 }] }
  gpt-4o: { targets: [{ backend: azure, model: gpt-4o-prod }] }
  embed: { targets: [{ backend: azure, model: embed-prod }] }
  flaky: { targets: [{ backend: flaky, model: claude-haiku }], fallbacks: [llama] }
  llama: { targets: [{ backend: vllm }] }
  capture: { targets: [{ backend: capture, model: claude-x }] }
`,
  { capture: capture.url },
);

const client = new OpenAI({ apiKey: 'none', baseURL: `${gw.url}/v1`, maxRetries: 0 });
const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Tell me about canary releases.' },
];
/** Every chat mock answers a prompt with the vLLM mock's text for its chat turns. */
const expectedText = (msgs: OpenAI.ChatCompletionMessageParam[], n: number) =>
  generateText(chatPromptKey(msgs as unknown as Parameters<typeof chatPromptKey>[0]), undefined, n);

const weather: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] },
  },
};

describe.each([
  ['an Anthropic backend (translated)', 'claude', 'claude'],
  ['an Azure OpenAI backend', 'gpt-4o', 'azure'],
])('openai client → /v1/chat/completions → %s', (_name, model, backend) => {
  it('answers max_tokens tokens of the mock text, finish_reason length, with the usage the mock sent', async () => {
    const before = (await gw.mockStats(backend)).tokens;
    const c = await client.chat.completions.create({ model, messages, max_tokens: 16 });
    const after = (await gw.mockStats(backend)).tokens;
    expect(c.object).toBe('chat.completion');
    expect(c.choices[0]!.message.content).toBe(expectedText(messages, 16));
    expect(c.choices[0]!.finish_reason).toBe('length');
    expect(c.usage).toMatchObject({ completion_tokens: 16, prompt_tokens: after.prompt - before.prompt });
    expect(after.completion - before.completion).toBe(16);
  });

  it('streams every chunk field a client reads: role, content, finish_reason, the usage chunk when asked, [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model,
      messages,
      max_tokens: 20,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let role: string | undefined;
    for await (const chunk of stream) {
      // Azure's first chunk carries only prompt_filter_results (no choices, an empty object field).
      if (chunk.choices.length) expect(chunk.object).toBe('chat.completion.chunk');
      const choice = chunk.choices[0];
      role ??= choice?.delta.role;
      text += choice?.delta.content ?? '';
      finish = choice?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(role).toBe('assistant');
    expect(text).toBe(expectedText(messages, 20));
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ completion_tokens: 20 });

    const plain = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, max_tokens: 5, stream: true }),
    });
    const events = decodeSseBody(Buffer.from(await plain.arrayBuffer()));
    expect(events.at(-1)!.data).toBe('[DONE]');
    // Without include_usage the client gets no usage chunk — but the gateway still counted the tokens.
    const usages = events
      .filter((e) => e.data !== undefined && e.data !== '[DONE]')
      .map((e) => (JSON.parse(e.data!) as { usage?: unknown }).usage);
    expect(usages.filter((u) => u !== undefined && u !== null)).toEqual([]);
  });

  it('round-trips a tool call: tool_calls (arguments streamed in fragments), the tool message, a text answer', async () => {
    const ask: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Oslo? [[mock tool=get_weather]]' }];
    const first = await client.chat.completions.create({ model, messages: ask, tools: [weather], max_tokens: 50 });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const call = first.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe('get_weather');
    const args = JSON.parse(call.function.arguments) as { city: unknown; days: unknown };
    expect(typeof args.city).toBe('string');

    const stream = await client.chat.completions.create({ model, messages: ask, tools: [weather], max_tokens: 50, stream: true });
    let streamedArgs = '';
    let name: string | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      const tc = chunk.choices[0]?.delta.tool_calls?.[0];
      name ??= tc?.function?.name;
      streamedArgs += tc?.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe('get_weather');
    expect(JSON.parse(streamedArgs)).toEqual(args);
    expect(finish).toBe('tool_calls');

    const followUp: OpenAI.ChatCompletionMessageParam[] = [
      ...ask,
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: call.id, content: '12°C, rain' },
    ];
    const final = await client.chat.completions.create({ model, messages: followUp, tools: [weather], max_tokens: 9 });
    expect(final.choices[0]!.finish_reason).toBe('length');
    expect(final.choices[0]!.message.content).toBe(expectedText(followUp, 9));
  });

  it('takes images with the prompt', async () => {
    const withImage: OpenAI.ChatCompletionMessageParam[] = [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'text', text: 'Tell me about canary releases.' },
        ],
      },
    ];
    const c = await client.chat.completions.create({ model, messages: withImage, max_tokens: 6 });
    expect(c.choices[0]!.message.content).toBe(expectedText([{ role: 'user', content: 'Tell me about canary releases.' }], 6));
  });

  it('a mid-stream break raises APIError after the text that came, never a clean end', async () => {
    const stream = await client.chat.completions.create(
      { model, messages, max_tokens: 40, stream: true },
      { headers: { 'x-mock-fault': 'reset-after:4' } },
    );
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(expectedText(messages, 40).startsWith(text)).toBe(true);
  });
});

describe('what the translation sends an Anthropic backend', () => {
  it('a Messages request with the backend’s key and version, images as image blocks, usage with cache reads back', async () => {
    const c = await client.chat.completions.create({
      model: 'capture',
      max_tokens: 8,
      stop: 'END',
      temperature: 0.5,
      user: 'u-1',
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
    const sent = capture.seen.at(-1)!;
    expect(sent.url).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe('sk-ant-capture');
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.headers.authorization).toBeUndefined();
    expect(JSON.parse(sent.body)).toEqual({
      model: 'claude-x',
      system: [{ type: 'text', text: 'sys' }],
      max_tokens: 8,
      stop_sequences: ['END'],
      temperature: 0.5,
      metadata: { user_id: 'u-1' },
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
    });
    expect(c.choices[0]!.message.content).toBe('seen');
    expect(c.choices[0]!.finish_reason).toBe('stop');
    expect(c.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 2 } });
  });

  it('Azure: the deployment path with the api-version, the key in api-key', async () => {
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client-key' },
      body: JSON.stringify({ model: 'gpt-4o', messages, max_tokens: 2 }),
    });
    // The Azure mock refuses any other path, version or key: a 200 means all three were right.
    expect(r.status).toBe(200);
    expect(((await r.json()) as { model: string }).model).toBe('gpt-4o-prod');
    const e = await client.embeddings.create({ model: 'embed', input: ['a', 'b'] });
    expect(e.data).toHaveLength(2);
  });
});

describe('errors', () => {
  it.each([
    ['n > 1, which an Anthropic backend cannot answer', { n: 2 }, OpenAI.BadRequestError, 400, 'n'],
    ['a temperature above 1', { temperature: 1.5 }, OpenAI.BadRequestError, 400, 'temperature'],
    ['logprobs', { logprobs: true }, OpenAI.BadRequestError, 400, 'logprobs'],
  ])('%s → 400 naming the field', async (_name, extra, cls, status, param) => {
    const err = await client.chat.completions.create({ model: 'claude', messages, max_tokens: 5, ...extra }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe(param);
  });

  it('an Anthropic backend’s 529 with nowhere else to go is a 502 InternalServerError in OpenAI’s shape', async () => {
    const err = await client.chat.completions
      .create({ model: 'claude', messages, max_tokens: 5 }, { headers: { 'x-mock-fault': 'overloaded' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_error');
  });

  it('/v1/completions to an Anthropic backend is a 400 that says why', async () => {
    const err = await client.completions.create({ model: 'claude', prompt: 'hi', max_tokens: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/Anthropic's Messages API/);
  });

  it('an overloaded Anthropic backend (529) fails over to the fallback model on vLLM, translated back to OpenAI', async () => {
    const c = await client.chat.completions.create({ model: 'flaky', messages, max_tokens: 6 });
    expect(c.choices[0]!.message.content).toBe(expectedText(messages, 6));
    const errors = gw.eventsOf('upstream_error').filter((e) => e.backend === 'flaky');
    expect(errors.length).toBeGreaterThan(0);
  });

  it('an Anthropic backend’s error event mid-stream becomes the OpenAI error frame, with no [DONE]', async () => {
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-fault': 'error-after:3' },
      body: JSON.stringify({ model: 'claude', messages, max_tokens: 20, stream: true }),
    });
    const events = decodeSseBody(Buffer.from(await r.arrayBuffer()));
    expect(JSON.parse(events.at(-1)!.data!)).toMatchObject({ error: { code: 'upstream_stream_error' } });
    expect(events.some((e) => e.data === '[DONE]')).toBe(false);
  });
});
