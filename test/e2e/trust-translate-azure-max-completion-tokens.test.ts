/**
 * Anthropic client → Azure OpenAI backend: the Messages request's `max_tokens` was sent as chat completions'
 * `max_tokens`, which Azure refuses for its reasoning deployments — o1, o3, o4-mini, gpt-5 (400 "Unsupported parameter:
 * 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.") — so every request of an
 * Anthropic client (Claude Code) to such a deployment failed, streamed or not. From the api-version that has it
 * (2024-09-01-preview; GA 2024-10-21), which every Azure chat model takes, the limit goes as `max_completion_tokens`;
 * an older version, which does not know that field, still gets `max_tokens`. The backend here refuses as Azure does.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const refuse = (res: import('node:http').ServerResponse, message: string) =>
  res
    .writeHead(400, { 'content-type': 'application/json' })
    .end(JSON.stringify({ error: { code: 'unsupported_parameter', message, param: 'max_tokens', type: 'invalid_request_error' } }));

/** An Azure resource with a reasoning deployment (`o4`) and an older chat one (`gpt`). */
const azure = await useUpstream((req, res, body) => {
  const url = new URL(req.url!, 'http://x');
  const version = url.searchParams.get('api-version') ?? '';
  const json = JSON.parse(body) as { stream?: boolean; max_tokens?: number; max_completion_tokens?: number };
  if (url.pathname.includes('/deployments/o4/') && json.max_tokens !== undefined)
    return refuse(res, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.");
  if (json.max_completion_tokens !== undefined && version < '2024-09-01')
    return refuse(res, 'Unrecognized request argument supplied: max_completion_tokens');
  const usage = { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 };
  if (!json.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(
      JSON.stringify({
        id: 'c',
        object: 'chat.completion',
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' }],
        usage,
      }),
    );
  }
  const chunk = (o: object) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', ...o })}\n\n`;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi.' }, finish_reason: null }] }));
  res.write(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
  res.end('data: [DONE]\n\n');
});

const gw = await useGateway(
  `
version: 1
backends:
  reasoning: { url: "{{u}}", kind: azure-openai, deployment: o4, apiVersion: "2025-04-01-preview", apiKey: k }
  old: { url: "{{u}}", kind: azure-openai, deployment: gpt, apiVersion: "2024-06-01", apiKey: k }
models:
  o4: { targets: [{ backend: reasoning }] }
  old: { targets: [{ backend: old }] }
`,
  { u: azure.url },
);
const client = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
const sent = () => JSON.parse(azure.seen.at(-1)!.body) as { max_tokens?: number; max_completion_tokens?: number };

describe("an Anthropic client's max_tokens, to an Azure OpenAI backend", () => {
  it('goes as max_completion_tokens where the api-version has it: a reasoning deployment answers, streamed or not', async () => {
    const m = await client.messages.create({ model: 'o4', max_tokens: 300, messages: [{ role: 'user', content: 'hi' }] });
    expect(m.content).toEqual([{ type: 'text', text: 'Hi.' }]);
    expect(sent()).toMatchObject({ max_completion_tokens: 300 });
    expect(sent()).not.toHaveProperty('max_tokens');
    const s = await client.messages.stream({ model: 'o4', max_tokens: 200, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(s.content).toEqual([{ type: 'text', text: 'Hi.' }]);
    expect(sent()).toMatchObject({ max_completion_tokens: 200 });
  });

  it('goes as max_tokens to an api-version before it', async () => {
    const m = await client.messages.create({ model: 'old', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    expect(m.content).toEqual([{ type: 'text', text: 'Hi.' }]);
    expect(sent()).toMatchObject({ max_tokens: 100 });
    expect(sent()).not.toHaveProperty('max_completion_tokens');
  });
});
