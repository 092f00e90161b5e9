/** Contract §3, row by row, through the official openai client and raw fetch, on real sockets. */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { chatPromptKey, generateText } from '../../src/mock/text.js';
import { schemaErrors, specAvailable } from '../helpers/openapi.js';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
limits: { maxRequestBytes: 64Ki }
timeouts: { firstByte: 500ms }
resilience: { consecutiveFailures: 100 }
backends:
  llama: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [meta-llama/Llama-3-70B-Instruct] } }
  flaky: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [flaky-up] } }
  tei: { url: http://127.0.0.1:0, mock: { kind: tei, models: [BAAI/bge-large-en-v1.5], dimensions: 64 } }
models:
  llama-3-70b: { targets: [{ backend: llama, model: meta-llama/Llama-3-70B-Instruct }] }
  flaky: { targets: [{ backend: flaky, model: flaky-up }] }
  bge-large-en: { targets: [{ backend: tei, model: BAAI/bge-large-en-v1.5 }] }
`);
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'none', maxRetries: 0 });
const messages = [{ role: 'user' as const, content: 'Hello through the gateway' }];

async function post(body: string | object, headers: Record<string, string> = {}, path = '/v1/chat/completions') {
  const r = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: text.startsWith('{') ? JSON.parse(text) : undefined };
}

function expectError(r: { status: number; headers: Headers; json: { error: Record<string, unknown> } }, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toBe('application/json');
  expect(r.headers.get('x-request-id')).toBeTruthy();
  expect(r.json.error.code).toBe(code);
  expect(typeof r.json.error.message).toBe('string');
  if (specAvailable) expect(schemaErrors('ErrorResponse', r.json)).toEqual([]);
}

describe('the happy paths', () => {
  it('routes a chat completion by model, rewrites the model upstream, and says which backend served it', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'llama-3-70b', messages, max_tokens: 7, seed: 1 })
      .withResponse();
    expect(response.headers.get('x-aigw-backend')).toBe('llama');
    expect(data.model).toBe('meta-llama/Llama-3-70B-Instruct');
    expect(data.choices[0]!.message.content).toBe(generateText(chatPromptKey(messages), 1, 7));
    if (specAvailable) expect(schemaErrors('CreateChatCompletionResponse', data)).toEqual([]);
  });

  it("echoes the client's x-request-id", async () => {
    const r = await post({ model: 'llama-3-70b', messages, max_tokens: 1 }, { 'x-request-id': 'trace-123' });
    expect(r.headers.get('x-request-id')).toBe('trace-123');
  });

  it('streams through the openai client; the usage chunk aigw asked for stays hidden', async () => {
    const stream = await client.chat.completions.create({ model: 'llama-3-70b', messages, max_tokens: 9, seed: 2, stream: true });
    let text = '';
    let usageChunks = 0;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usageChunks++;
    }
    expect(text).toBe(generateText(chatPromptKey(messages), 2, 9));
    expect(usageChunks).toBe(0);
    const req = gw.eventsOf('request').at(-1)!;
    expect(req.tokens).toMatchObject({ output: 9, outputSource: 'usage' });
  });

  it('gives the usage chunk to a client that asked for it', async () => {
    const stream = await client.chat.completions.create({
      model: 'llama-3-70b',
      messages,
      max_tokens: 4,
      stream: true,
      stream_options: { include_usage: true },
    });
    const usages = [];
    for await (const c of stream) if (c.usage) usages.push(c.usage);
    expect(usages).toHaveLength(1);
    expect(usages[0]!.completion_tokens).toBe(4);
  });

  it('serves text completions and embeddings', async () => {
    const c = await client.completions.create({ model: 'llama-3-70b', prompt: 'Once', max_tokens: 3 });
    expect(c.usage!.completion_tokens).toBe(3);
    const e = await client.embeddings.create({ model: 'bge-large-en', input: ['a', 'b'] });
    expect(e.data).toHaveLength(2);
    expect(e.data[0]!.embedding).toHaveLength(64);
  });

  it('lists the public models, and one by id', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id).sort()).toEqual(['bge-large-en', 'flaky', 'llama-3-70b']);
    const raw = await (await fetch(`${gw.url}/v1/models`)).json();
    if (specAvailable) expect(schemaErrors('ListModelsResponse', raw)).toEqual([]);
    expect(JSON.stringify(raw)).not.toContain('127.0.0.1');
    const one = await client.models.retrieve('llama-3-70b');
    expect(one).toMatchObject({ id: 'llama-3-70b', object: 'model', owned_by: 'aigw' });
    await expect(client.models.retrieve('nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('answers /healthz', async () => {
    const r = await fetch(`${gw.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
  });
});

describe("every error of the §3 table, in OpenAI's shape", () => {
  it.each([
    ['unparseable body', '{"model": "llama-3-70b",', 'invalid_json', null],
    ['a BOM before the JSON', '\ufeff{"model":"llama-3-70b","messages":[]}', 'invalid_json', null],
    ['no model', { messages }, 'missing_model', 'model'],
    ['model not a string', { model: 42, messages }, 'invalid_request', 'model'],
    ['a model name of 257 characters', { model: 'm'.repeat(257), messages }, 'invalid_request', 'model'],
    ['stream as a string', { model: 'llama-3-70b', messages, stream: 'true' }, 'invalid_request', 'stream'],
    ['messages not a list', { model: 'llama-3-70b', messages: 'hi' }, 'invalid_request', 'messages'],
    ['30k-deep nesting', `{"model":"llama-3-70b","x":${'['.repeat(30_000)}${']'.repeat(30_000)},"messages":[]}`, 'invalid_json', null],
  ])('400 for %s', async (_name, body, code, param) => {
    const r = await post(body as string | object);
    expectError(r, 400, code as string);
    expect(r.json.error.param).toBe(param);
  });

  it('keeps a client’s 60 KiB model name out of the answer, the events and their history', async () => {
    const name = 'x'.repeat(60 * 1024);
    const before = gw.eventsOf('request').length;
    for (let i = 0; i < 5; i++) expectError(await post({ model: name, messages }), 400, 'invalid_request');
    const events = gw.eventsOf('request').slice(before);
    expect(events).toHaveLength(5);
    // Each event as the replay history keeps it: a few hundred bytes, not the name's 60 KiB (1,024 kept: 8 MiB names filled the heap).
    for (const e of events) expect(JSON.stringify(e).length).toBeLessThan(2048);
    expect(JSON.stringify((await post({ model: name, messages })).json).length).toBeLessThan(1024);
  });

  it('400 for a wrong content-type', async () => {
    const r = await post(JSON.stringify({ model: 'llama-3-70b', messages }), { 'content-type': 'text/plain' });
    expectError(r, 400, 'invalid_request');
  });

  it('404 model_not_found for an unknown model (and the model never becomes a path)', async () => {
    const r = await post({ model: '../../admin', messages });
    expectError(r, 404, 'model_not_found');
    expect(r.json.error.param).toBe('model');
  });

  it('404 for an unknown path, 405 for a wrong method', async () => {
    const a = await fetch(`${gw.url}/v1/nothing`);
    expectError({ status: a.status, headers: a.headers, json: (await a.json()) as { error: Record<string, unknown> } }, 404, 'not_found');
    const b = await fetch(`${gw.url}/v1/chat/completions`);
    expectError(
      { status: b.status, headers: b.headers, json: (await b.json()) as { error: Record<string, unknown> } },
      405,
      'method_not_allowed',
    );
    expect(b.headers.get('allow')).toBe('POST');
  });

  it('413 for a body over maxRequestBytes, without calling upstream', async () => {
    const before = (await gw.mockStats('llama')).requests['/v1/chat/completions'] ?? 0;
    const r = await post({ model: 'llama-3-70b', messages: [{ role: 'user', content: 'x'.repeat(70_000) }] });
    expectError(r, 413, 'request_too_large');
    expect((await gw.mockStats('llama')).requests['/v1/chat/completions'] ?? 0).toBe(before);
  });

  it('415 for a compressed request body (case 29)', async () => {
    const r = await post('{}', { 'content-encoding': 'gzip' });
    expect(r.status).toBe(415);
  });

  it('a body labelled identity in any case is read as it is (content codings are case-insensitive, RFC 9110 §8.4.1)', async () => {
    for (const coding of ['identity', 'Identity', 'IDENTITY', ' identity ']) {
      const r = await post({ model: 'llama-3-70b', messages, max_tokens: 1 }, { 'content-encoding': coding });
      expect(r.status, coding).toBe(200);
    }
  });

  it('502 upstream_error when the only backend fails before the first byte', async () => {
    const r = await post({ model: 'flaky', messages, max_tokens: 1 }, { 'x-mock-fault': 'status:500' });
    expectError(r, 502, 'upstream_error');
    expect(r.json.error.message).toContain('HTTP 500');
  });

  it('504 upstream_timeout when headers do not come within firstByte', async () => {
    const r = await post({ model: 'flaky', messages, max_tokens: 1 }, { 'x-mock-fault': 'slow-headers:2s' });
    expectError(r, 504, 'upstream_timeout');
  });

  it("a backend's 400 passes through with its status and message", async () => {
    const r = await post({ model: 'llama-3-70b', messages, max_tokens: 1 }, { 'x-mock-fault': 'status:400' });
    expectError(r, 400, 'invalid_request');
    expect(r.json.error.message).toContain('injected fault: status 400');
  });
});
