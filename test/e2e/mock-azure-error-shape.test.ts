/**
 * The Azure OpenAI mock refuses in Azure's shape everywhere, not only in its own checks: what the vLLM and TEI mocks
 * behind them refuse (a request's fields, a mock control, an injected status, an embedding's input) came in vLLM's shape
 * (`"code": 400`, a number, with vLLM's exception types) and TEI's (`{"message","code","type"}` with no `error` object,
 * status 422 or 413), which an Azure client does not read as Azure's (openai-node's `err.code` was the number 400, and
 * undefined for an embedding's refusal).
 */
import OpenAI, { AzureOpenAI } from 'openai';
import { describe, expect, it } from 'vitest';
import { postJson, useMock } from '../helpers/mocks.js';

const KEY = 'azure-mock-key';
const mock = await useMock({ name: 'azure-e', kind: 'azure-openai', models: ['chat-prod', 'embed-prod'], apiKey: KEY });
const messages = [{ role: 'user' as const, content: 'Refuse me.' }];
const url = (deployment: string, path: string) => `${mock.url}/openai/deployments/${deployment}/${path}?api-version=2024-10-21`;

/** Azure's error body: an `error` object with a string code and a message. */
async function azureError(r: Response): Promise<{ code: unknown; message: unknown; param?: unknown }> {
  const body = (await r.json()) as { error?: { code: unknown; message: unknown; param?: unknown; type?: unknown } };
  expect(body.error).toBeDefined();
  expect(typeof body.error!.code).toBe('string');
  expect(typeof body.error!.message).toBe('string');
  // vLLM's exception types are not Azure's.
  expect(body.error!.type).toBeUndefined();
  return body.error!;
}

describe("the Azure mock's refusals", () => {
  it.each([
    ['max_tokens 0', { messages, max_tokens: 0 }, {}, 400, 'BadRequest', 'max_tokens'],
    ['n 2', { messages, n: 2 }, {}, 400, 'BadRequest', 'n'],
    ['messages of the wrong type', { messages: 'hi' }, {}, 400, 'BadRequest', 'messages'],
    ['a bad mock control', { messages }, { 'x-mock-fault': 'bogus' }, 400, 'BadRequest', undefined],
    ['an injected 429', { messages }, { 'x-mock-fault': 'status:429' }, 429, '429', undefined],
    ['an injected 503', { messages }, { 'x-mock-fault': 'status:503' }, 503, 'ServiceUnavailable', undefined],
  ])('of a chat completion with %s', async (_name, body, headers, status, code, param) => {
    const r = await postJson(url('chat-prod', 'chat/completions'), body, { 'api-key': KEY, ...headers });
    expect(r.status).toBe(status);
    const e = await azureError(r);
    expect(e.code).toBe(code);
    if (param) expect(e.param).toBe(param);
  });

  it.each([
    ['an empty input', { input: [] }],
    ['more inputs than a batch', { input: Array.from({ length: 40 }, (_, i) => `x${i}`) }],
    ['an input of the wrong type', { input: { a: 1 } }],
  ])('of embeddings with %s: 400 BadRequest', async (_name, body) => {
    const r = await postJson(url('embed-prod', 'embeddings'), body, { 'api-key': KEY });
    expect(r.status).toBe(400);
    expect((await azureError(r)).code).toBe('BadRequest');
  });

  it("reach openai-node's AzureOpenAI with Azure's code", async () => {
    const client = new AzureOpenAI({ apiKey: KEY, endpoint: mock.url, apiVersion: '2024-10-21', deployment: 'chat-prod', maxRetries: 0 });
    const err = await client.chat.completions.create({ model: 'chat-prod', messages, max_tokens: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('BadRequest');
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe('max_tokens');
  });
});
