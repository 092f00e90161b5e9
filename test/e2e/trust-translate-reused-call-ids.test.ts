/**
 * OpenAI client → Anthropic backend, a history whose tool calls reuse an id across turns — servers that number their
 * calls within an answer (Kimi K2 on vLLM writes `functions.get_weather:0` in every turn that calls it first), which
 * OpenAI's API takes (a tool message answers the latest call of its id). Anthropic refuses a request whose tool_use ids
 * repeat (400 "messages.N.content.M: `tool_use` ids must be unique"): from the second such turn on, every request of
 * the conversation to a Claude target failed. A reused id now names its later calls apart, and each tool message
 * answers the latest call of its id. The backend here refuses as Anthropic does.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-reused-call-ids';
type Block = { type: string; id?: string; tool_use_id?: string };
const up = await useUpstream((_req, res, body) => {
  const messages = (JSON.parse(body) as { messages: { content: string | Block[] }[] }).messages;
  const ids = new Set<string>();
  for (const [i, m] of messages.entries()) {
    if (typeof m.content === 'string') continue;
    for (const [j, b] of m.content.entries()) {
      if (b.type !== 'tool_use') continue;
      if (ids.has(b.id!)) {
        const message = `messages.${i}.content.${j}: \`tool_use\` ids must be unique`;
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
        return;
      }
      ids.add(b.id!);
    }
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('Done.', { input_tokens: 9, output_tokens: 2 }));
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
const call = (id: string, city: string) => ({
  id,
  type: 'function' as const,
  function: { name: 'get_weather', arguments: JSON.stringify({ city }) },
});

describe('tool call ids reused across turns, to an Anthropic backend', () => {
  it('each turn’s calls get ids of their own, and each result answers its turn’s call', async () => {
    const answer = await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'user', content: 'weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [call('functions.get_weather:0', 'Paris')] },
        { role: 'tool', tool_call_id: 'functions.get_weather:0', content: 'sunny' },
        { role: 'assistant', content: 'Sunny.' },
        { role: 'user', content: 'and Rome?' },
        { role: 'assistant', content: null, tool_calls: [call('functions.get_weather:0', 'Rome')] },
        { role: 'tool', tool_call_id: 'functions.get_weather:0', content: 'rain' },
      ],
    });
    expect(answer.choices[0]!.message.content).toBe('Done.');
    const sent = JSON.parse(up.seen.at(-1)!.body) as { messages: { content: Block[] }[] };
    const first = sent.messages[1]!.content[0]!.id!;
    const second = sent.messages[4]!.content[0]!.id!;
    expect(first).not.toBe(second);
    expect(sent.messages[2]!.content[0]!.tool_use_id).toBe(first);
    expect(sent.messages[5]!.content[0]!.tool_use_id).toBe(second);
  });
});
