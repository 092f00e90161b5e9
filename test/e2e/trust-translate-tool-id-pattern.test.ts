/**
 * OpenAI client → Anthropic backend, a conversation whose tool call ids Anthropic refuses. Anthropic takes a tool_use
 * id (and so a tool_result's tool_use_id) only of `^[a-zA-Z0-9_-]+$`; OpenAI-compatible servers write others — Kimi K2
 * on vLLM names its calls `functions.get_weather:0` — and a model's route may answer one turn there and the next on
 * an Anthropic target. Sent as they came, the next turn was Anthropic's 400 and the conversation could not go on.
 * The upstream here checks the ids as Anthropic does; the client is the official `openai` one.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-toolid';
const PATTERN = /^[a-zA-Z0-9_-]+$/;

type Block = { type: string; id?: string; tool_use_id?: string };

/** Anthropic's check of a request's tool ids: the 400 it answers, or undefined. */
function refusal(body: { messages: { content: string | Block[] }[] }): string | undefined {
  for (const [i, m] of body.messages.entries()) {
    if (typeof m.content === 'string') continue;
    for (const [j, b] of m.content.entries()) {
      if (b.type === 'tool_use' && !PATTERN.test(b.id ?? '')) {
        return `messages.${i}.content.${j}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`;
      }
      if (b.type === 'tool_result' && !PATTERN.test(b.tool_use_id ?? '')) {
        return `messages.${i}.content.${j}.tool_result.tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'`;
      }
    }
  }
  return undefined;
}

const up = await useUpstream((_req, res, body) => {
  const why = refusal(JSON.parse(body));
  if (why) {
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: why } }));
    return;
  }
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(anthropicTextMessage('Sunny in both.', { input_tokens: 20, output_tokens: 4 }));
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });

const call = (id: string, city: string): OpenAI.ChatCompletionMessageToolCall => ({
  id,
  type: 'function',
  function: { name: 'get_weather', arguments: JSON.stringify({ city }) },
});

describe('tool call ids outside Anthropic’s pattern', () => {
  it('the conversation goes on: the ids sent are Anthropic’s form, each call’s result still names its call', async () => {
    // Two ids that differ only where Anthropic refuses a character: they must stay two calls.
    const ids = ['functions.get_weather:0', 'functions.get_weather.0', ''];
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Paris, Rome and Oslo?' },
      { role: 'assistant', content: null, tool_calls: [call(ids[0]!, 'Paris'), call(ids[1]!, 'Rome'), call(ids[2]!, 'Oslo')] },
      { role: 'tool', tool_call_id: ids[0]!, content: 'sunny' },
      { role: 'tool', tool_call_id: ids[1]!, content: 'sunny' },
      { role: 'tool', tool_call_id: ids[2]!, content: 'rain' },
    ];
    const c = await client.chat.completions.create({ model: 'claude', messages });
    expect(c.choices[0]!.message.content).toBe('Sunny in both.');

    const sent = JSON.parse(up.seen.at(-1)!.body) as { messages: { content: Block[] }[] };
    const uses = sent.messages[1]!.content.map((b) => b.id!);
    const results = sent.messages[2]!.content.map((b) => b.tool_use_id!);
    for (const id of uses) expect(id).toMatch(PATTERN);
    expect(new Set(uses).size).toBe(3);
    expect(results).toEqual(uses);
  });

  it('an id Anthropic takes is sent as it is', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [call('call_Ab-9', 'Paris')] },
      { role: 'tool', tool_call_id: 'call_Ab-9', content: 'sunny' },
    ];
    await client.chat.completions.create({ model: 'claude', messages });
    const sent = JSON.parse(up.seen.at(-1)!.body) as { messages: { content: Block[] }[] };
    expect(sent.messages[1]!.content[0]!.id).toBe('call_Ab-9');
    expect(sent.messages[2]!.content[0]!.tool_use_id).toBe('call_Ab-9');
  });
});
