/** What one attempt sends, by (client API, backend kind): path, body, extra headers, and whether the answer is translated. */
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../src/openai/endpoints.js';
import { parseProxyRequest } from '../../../src/openai/parse-request.js';
import { providerRequest } from '../../../src/translate/upstream-request.js';

type Kind = 'openai' | 'anthropic' | 'azure-openai';
const backend = (kind: Kind, extra: object = {}) => ({
  name: 'b',
  kind,
  basePath: '/base',
  host: '127.0.0.1',
  anthropicVersion: '2023-06-01',
  deployment: undefined as string | undefined,
  apiVersion: undefined as string | undefined,
  ...extra,
});
const target = { upstreamModel: 'up-model', upstreamModelJson: '"up-model"' };

function request(endpoint: Endpoint, body: object) {
  const r = parseProxyRequest(endpoint, Buffer.from(JSON.stringify(body)), 'application/json');
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const chat = { model: 'pub', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true, extra_field: 1 };
const messages = { model: 'pub', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true };

describe('providerRequest', () => {
  it.each([
    [
      'openai client, Azure backend',
      'chat',
      chat,
      backend('azure-openai'),
      '/base/openai/deployments/up-model/chat/completions?api-version=2024-10-21',
    ],
    [
      'openai client, Azure backend with its own deployment and version',
      'chat',
      chat,
      backend('azure-openai', { deployment: 'prod-4o', apiVersion: '2025-04-01-preview' }),
      '/base/openai/deployments/prod-4o/chat/completions?api-version=2025-04-01-preview',
    ],
    [
      'openai client, Azure embeddings',
      'embeddings',
      { model: 'pub', input: 'x' },
      backend('azure-openai'),
      '/base/openai/deployments/up-model/embeddings?api-version=2024-10-21',
    ],
  ] as const)('%s: the client’s body, model spliced, on Azure’s path', (_n, endpoint, body, b, path) => {
    const r = providerRequest(request(endpoint, body), b, target, 0, undefined);
    expect(r.ok && r.value.path).toBe(path);
    if (!r.ok) return;
    expect(JSON.parse(r.value.body.toString())).toMatchObject({ ...body, model: 'up-model' });
    expect(r.value.translation).toBeUndefined();
    expect(r.value.headers).toBeUndefined();
    expect(r.value.injectedUsage).toBe(endpoint === 'chat');
  });

  it('anthropic client, Anthropic backend: the bytes pass with model replaced, and the client’s anthropic-version kept', () => {
    const p = request('messages', { ...messages, unknown_field: { deep: [1] } });
    const r = providerRequest(p, backend('anthropic'), target, 0, '2026-10-21');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.path).toBe('/base/v1/messages');
    expect(r.value.body.toString()).toBe(p.text.replace('"pub"', '"up-model"'));
    expect(r.value.headers).toEqual(['anthropic-version', '2026-10-21']);
    expect(r.value.translation).toBeUndefined();
    const none = providerRequest(p, backend('anthropic'), target, 0, undefined);
    expect(none.ok && none.value.headers).toEqual(['anthropic-version', '2023-06-01']);
    const count = providerRequest(
      request('count_tokens', { model: 'pub', messages: messages.messages }),
      backend('anthropic'),
      target,
      0,
      undefined,
    );
    expect(count.ok && count.value.path).toBe('/base/v1/messages/count_tokens');
  });

  it.each([
    ['anthropic client, OpenAI backend', 'messages', messages, backend('openai'), '/base/v1/chat/completions', undefined],
    [
      'anthropic client, Azure backend',
      'messages',
      messages,
      backend('azure-openai'),
      '/base/openai/deployments/up-model/chat/completions?api-version=2024-10-21',
      undefined,
    ],
    [
      'openai client, Anthropic backend',
      'chat',
      chat,
      backend('anthropic', { anthropicVersion: '2024-01-01' }),
      '/base/v1/messages',
      ['anthropic-version', '2024-01-01'],
    ],
  ] as const)('%s: translated, on the other API’s path', (_n, endpoint, body, b, path, headers) => {
    const r = providerRequest(request(endpoint, body), b, target, 1_700_000_000_000, '2026-10-21');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.path).toBe(path);
    expect(r.value.headers).toEqual(headers);
    expect(r.value.translation?.stream).toBe(true);
    expect(r.value.injectedUsage).toBe(false);
    const sent = JSON.parse(r.value.body.toString());
    expect(sent.model).toBe('up-model');
    // Unknown client fields are not carried into a translation.
    expect(sent.extra_field).toBeUndefined();
  });

  it.each([
    [
      'completions to an Anthropic backend',
      'completions',
      { model: 'pub', prompt: 'x' },
      backend('anthropic'),
      /Anthropic's Messages API: \/v1\/completions/,
    ],
    [
      'embeddings to an Anthropic backend',
      'embeddings',
      { model: 'pub', input: 'x' },
      backend('anthropic'),
      /\/v1\/embeddings cannot be translated/,
    ],
    ['n > 1 to an Anthropic backend', 'chat', { ...chat, n: 2 }, backend('anthropic'), /^n: /],
    [
      'a server tool to an OpenAI backend',
      'messages',
      { ...messages, tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
      backend('openai'),
      /server tool/,
    ],
  ] as const)('refuses %s with a 400 naming why', (_n, endpoint, body, b, message) => {
    const r = providerRequest(request(endpoint, body), b, target, 0, undefined);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid_request');
    expect(r.error.message).toMatch(message);
  });
});

describe('the parse stage for Anthropic’s paths', () => {
  it.each([
    ['no max_tokens', 'messages', { model: 'm', messages: [{ role: 'user', content: 'x' }] }, 'max_tokens: Field required'],
    [
      'max_tokens 0',
      'messages',
      { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 },
      /max_tokens must be a whole number/,
    ],
    ['no messages', 'messages', { model: 'm', max_tokens: 3 }, /messages/],
    ['stream as a string', 'messages', { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 3, stream: 'true' }, /stream/],
  ] as const)('refuses %s', (_n, endpoint, body, message) => {
    const r = parseProxyRequest(endpoint, Buffer.from(JSON.stringify(body)), undefined);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(message);
  });

  it('reads a Messages request as one answer of max_tokens (n and max_completion_tokens are not Anthropic’s)', () => {
    const r = parseProxyRequest('messages', Buffer.from(JSON.stringify({ ...messages, n: 9, max_completion_tokens: 999 })), undefined);
    expect(r.ok && { api: r.value.api, maxTokens: r.value.maxTokens, choices: r.value.choices, stream: r.value.stream }).toEqual({
      api: 'anthropic',
      maxTokens: 5,
      choices: 1,
      stream: true,
    });
    const c = parseProxyRequest('count_tokens', Buffer.from(JSON.stringify({ model: 'm', messages: messages.messages })), undefined);
    expect(c.ok && { api: c.value.api, maxTokens: c.value.maxTokens }).toEqual({ api: 'anthropic', maxTokens: undefined });
  });

  it.each([
    ['OpenAI’s own API', 'api.openai.com', 'max_completion_tokens'],
    // Its data-residency hosts (openai-node's dataResidency: us, eu, ae; the docs add au, in) are the same API.
    ['OpenAI’s own API in the EU', 'eu.api.openai.com', 'max_completion_tokens'],
    ['OpenAI’s own API in the US', 'us.api.openai.com', 'max_completion_tokens'],
    ['a host that only ends like it', 'notapi.openai.com', 'max_tokens'],
    ['another OpenAI-compatible server (vLLM, llama.cpp)', '127.0.0.1', 'max_tokens'],
  ] as const)('an Anthropic client’s max_tokens to %s goes as %s', (_n, host, field) => {
    // OpenAI's reasoning models (o-series, gpt-5) refuse max_tokens; every one of its chat models takes the other.
    const r = providerRequest(request('messages', messages), backend('openai', { host }), target, 0, undefined);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const sent = JSON.parse(r.value.body.toString()) as Record<string, unknown>;
    expect(sent[field]).toBe(5);
    expect(Object.keys(sent).filter((k) => k.startsWith('max_'))).toEqual([field]);
  });
});
