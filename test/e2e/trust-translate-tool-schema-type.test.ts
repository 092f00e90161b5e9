/**
 * OpenAI client → Anthropic backend, a function tool whose `parameters` has no `type`: `{}` (an empty schema, which
 * OpenAI takes — LangChain and MCP bridges send it for a tool without arguments) or `{ properties: {…} }`. It went to
 * Anthropic as `input_schema` as it came, and Anthropic refuses a tool schema without `type: "object"` (400
 * "tools.0.custom.input_schema.type: Field required"): every request carrying such a tool failed. The backend here
 * refuses as Anthropic does.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';

const KEY = 'sk-tenant-trust-tool-schema-type';

const up = await useUpstream((_req, res, body) => {
  const tools = (JSON.parse(body) as { tools?: { input_schema?: { type?: unknown } }[] }).tools ?? [];
  const bad = tools.findIndex((t) => t.input_schema?.type !== 'object');
  if (bad >= 0) {
    const message = `tools.${bad}.custom.input_schema.type: Field required`;
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('ok', { input_tokens: 3, output_tokens: 1 }));
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });

describe('a function tool whose parameters name no type, to an Anthropic backend', () => {
  it.each([
    ['an empty schema', {}],
    ['properties without a type', { properties: { city: { type: 'string' } }, required: ['city'] }],
  ])('%s: sent as an object schema, keeping what it says', async (_name, parameters) => {
    const c = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f', parameters } }],
    });
    expect(c.choices[0]!.message.content).toBe('ok');
    const sent = JSON.parse(up.seen.at(-1)!.body) as { tools: { input_schema: object }[] };
    expect(sent.tools[0]!.input_schema).toEqual({ type: 'object', ...parameters });
  });

  it('a tool without parameters is still an empty object schema', async () => {
    await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f' } }],
    });
    const sent = JSON.parse(up.seen.at(-1)!.body) as { tools: { input_schema: object }[] };
    expect(sent.tools[0]!.input_schema).toEqual({ type: 'object', properties: {} });
  });
});
