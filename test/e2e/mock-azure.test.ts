/**
 * The Azure OpenAI mock as openai-node's `AzureOpenAI` client sees it, on real sockets: deployments in the
 * path, `api-version`, `api-key`, Azure's content-filter extras, and Azure's refusals.
 */
import fc from 'fast-check';
import OpenAI, { AzureOpenAI } from 'openai';
import { describe, expect, it } from 'vitest';
import { decodeSseBody } from '../../src/openai/sse.js';
import { embedText } from '../../src/mock/tei.js';
import { chatPromptKey, completionPromptKey, generateText } from '../../src/mock/text.js';
import { schemaErrors, specAvailable } from '../helpers/openapi.js';
import { useMock } from '../helpers/mocks.js';

const KEY = 'azure-mock-key';
const DEPLOYMENT = 'gpt-4o-prod';
const mock = await useMock({ name: 'azure-a', kind: 'azure-openai', models: [DEPLOYMENT, 'embed-prod'], apiKey: KEY, dimensions: 64 });
const client = new AzureOpenAI({ apiKey: KEY, endpoint: mock.url, apiVersion: '2024-10-21', deployment: DEPLOYMENT, maxRetries: 0 });
const messages = [{ role: 'user' as const, content: 'Tell me about canary releases.' }];
const conforms = (schema: string, value: unknown) => {
  if (specAvailable) expect(schemaErrors(schema, value)).toEqual([]);
};

async function raw(path: string, body: unknown, headers: Record<string, string> = { 'api-key': KEY }): Promise<Response> {
  return fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('Azure OpenAI mock through AzureOpenAI', () => {
  it('answers a chat completion with the deterministic text, exact usage and the deployment as model', async () => {
    const { data: r, response } = await client.chat.completions
      .create({ model: 'ignored-by-azure', messages, max_tokens: 16, seed: 3 })
      .withResponse();
    conforms('CreateChatCompletionResponse', r);
    expect(r.model).toBe(DEPLOYMENT);
    expect(r.system_fingerprint).toBe('azure-a');
    expect(r.choices[0]!.message.content).toBe(generateText(chatPromptKey(messages), 3, 16));
    expect(r.usage).toMatchObject({ completion_tokens: 16 });
    expect(response.headers.get('x-mock-backend')).toBe('azure-a');
    const extras = r as unknown as { prompt_filter_results: unknown[]; choices: { content_filter_results: Record<string, unknown> }[] };
    expect(extras.prompt_filter_results).toHaveLength(1);
    expect(extras.choices[0]!.content_filter_results.hate).toEqual({ filtered: false, severity: 'safe' });
  });

  it('streams the same text after a first chunk that has no choices, only prompt_filter_results', async () => {
    const stream = await client.chat.completions.create({
      model: DEPLOYMENT,
      messages,
      max_tokens: 12,
      seed: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    let text = '';
    for await (const c of stream) {
      chunks.push(c);
      text += c.choices[0]?.delta.content ?? '';
    }
    expect(chunks[0]!.choices).toEqual([]);
    expect((chunks[0] as unknown as { prompt_filter_results: unknown[] }).prompt_filter_results).toHaveLength(1);
    expect(chunks[1]!.choices[0]!.delta.role).toBe('assistant');
    expect(text).toBe(generateText(chatPromptKey(messages), 3, 12));
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('length');
    expect(chunks.at(-1)!.usage?.completion_tokens).toBe(12);
    for (const c of chunks.slice(1)) conforms('CreateChatCompletionStreamResponse', c);
  });

  it('the stream helper assembles it: chat.completions.stream().finalChatCompletion()', async () => {
    const c = await client.chat.completions.stream({ model: DEPLOYMENT, messages, max_tokens: 7 }).finalChatCompletion();
    expect(c.choices[0]!.message.content).toBe(generateText(chatPromptKey(messages), undefined, 7));
  });

  it('calls a tool on [[mock tool=NAME]]', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' }, n: { type: 'integer' } } } },
      },
    ];
    const ask = [{ role: 'user' as const, content: 'Find it [[mock tool=lookup]]' }];
    const r = await client.chat.completions.create({ model: DEPLOYMENT, messages: ask, tools });
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    const call = r.choices[0]!.message.tool_calls![0] as { function: { name: string; arguments: string } };
    expect(call.function.name).toBe('lookup');
    const args = JSON.parse(call.function.arguments);
    expect(typeof args.q).toBe('string');
    const streamed = await client.chat.completions.stream({ model: DEPLOYMENT, messages: ask, tools }).finalChatCompletion();
    expect((streamed.choices[0]!.message.tool_calls![0] as { function: { arguments: string } }).function.arguments).toBe(
      call.function.arguments,
    );
  });

  it('answers text completions and embeddings on their deployments', async () => {
    const prompt = 'Once upon a time';
    const t = await client.completions.create({ model: DEPLOYMENT, prompt, max_tokens: 5 });
    expect(t.choices[0]!.text).toBe(generateText(completionPromptKey(prompt), undefined, 5));
    const emb = new AzureOpenAI({ apiKey: KEY, endpoint: mock.url, apiVersion: '2024-06-01', deployment: 'embed-prod', maxRetries: 0 });
    const e = await emb.embeddings.create({ model: 'embed-prod', input: ['hello'] });
    expect(e.data[0]!.embedding).toHaveLength(64);
    expect(e.data[0]!.embedding[0]).toBeCloseTo(embedText('hello', 64)[0]!, 6);
  });

  it.each([
    ['an unsupported api-version', { apiVersion: '2019-01-01' }, OpenAI.BadRequestError, 400, 'BadRequest'],
    ['a wrong key', { apiKey: 'nope' }, OpenAI.AuthenticationError, 401, '401'],
    ['an unknown deployment', { deployment: 'gpt-5-nope' }, OpenAI.NotFoundError, 404, 'DeploymentNotFound'],
  ])('%s raises the openai error class with Azure’s code', async (_n, opts, cls, status, code) => {
    const c = new AzureOpenAI({
      apiKey: KEY,
      endpoint: mock.url,
      apiVersion: '2024-10-21',
      deployment: DEPLOYMENT,
      maxRetries: 0,
      ...opts,
    });
    const err = await c.chat.completions.create({ model: DEPLOYMENT, messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe(code);
  });

  it.each([
    ['no api-version', `/openai/deployments/${DEPLOYMENT}/chat/completions`, { 'api-key': KEY }, 404, '404'],
    ['no key', `/openai/deployments/${DEPLOYMENT}/chat/completions?api-version=2024-10-21`, {}, 401, '401'],
    [
      'a Bearer token',
      `/openai/deployments/${DEPLOYMENT}/chat/completions?api-version=2024-10-21`,
      { authorization: `Bearer ${KEY}` },
      200,
      undefined,
    ],
    ['an OpenAI path', '/v1/chat/completions', { 'api-key': KEY }, 404, '404'],
    ['an escaped deployment', '/openai/deployments/%E0%A4%A/chat/completions?api-version=2024-10-21', { 'api-key': KEY }, 404, '404'],
  ])('answers a request with %s as Azure does', async (_n, path, headers, status, code) => {
    const r = await raw(path, { messages, max_tokens: 1 }, headers);
    expect(r.status).toBe(status);
    if (code) expect(((await r.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('any path segment, query and body get an answer or a 4xx in its error shape, never a 500 (fast-check)', async () => {
    const segment = fc.oneof(
      fc.constant(DEPLOYMENT),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.constantFrom('..', '%2e%2e', '%ZZ'),
    );
    const version = fc.oneof(fc.constant('2024-10-21'), fc.string({ maxLength: 12 }).map(encodeURIComponent));
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({ messages: fc.jsonValue({ maxDepth: 3 }), max_tokens: fc.jsonValue() }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(segment, version, body, async (d, v, b) => {
        const r = await raw(`/openai/deployments/${d}/chat/completions?api-version=${v}`, b);
        const text = await r.text();
        if (r.status === 200) return;
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        expect(JSON.parse(text)).toHaveProperty('error');
      }),
      { numRuns: 60 },
    );
  });

  it('its mid-stream failure is an error frame with no [DONE]', async () => {
    const r = await raw(
      `/openai/deployments/${DEPLOYMENT}/chat/completions?api-version=2024-10-21`,
      { messages, max_tokens: 20, stream: true },
      { 'api-key': KEY, 'x-mock-fault': 'error-after:3' },
    );
    const events = decodeSseBody(Buffer.from(await r.arrayBuffer()));
    expect(JSON.parse(events.at(-1)!.data!).error.code).toBe('server_error');
    expect(events.some((e) => e.data === '[DONE]')).toBe(false);
  });
});
