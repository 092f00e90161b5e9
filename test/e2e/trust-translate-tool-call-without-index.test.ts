/**
 * OpenAI backend → Anthropic client, a stream whose tool-call deltas carry no `index`: Ollama's OpenAI API, Gemini's,
 * SGLang and mistral.rs leave it out (each call whole in one delta, or its arguments in later deltas without an id).
 * The translation refused every such chunk as unreadable: the client's tool loop got an error event instead of its
 * calls. The index is now inferred as openai-python and the AI SDK infer it: a delta naming a new id (or a name, when
 * none has ids) starts the next call, one without continues the call open.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

type Delta = Record<string, unknown>;

/** Streams each of `chunks` as one chat.completion.chunk's tool_calls, then finish_reason tool_calls. */
const streaming = (chunks: Delta[][]) =>
  useUpstream((_req, res) => {
    const chunk = (o: object) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', ...o })}\n\n`;
    let s = chunk({ choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] });
    for (const tool_calls of chunks) s += chunk({ choices: [{ index: 0, delta: { tool_calls }, finish_reason: null }] });
    s += chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
    s += chunk({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } });
    res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`${s}data: [DONE]\n\n`);
  });

const call = (id: string | undefined, name: string | undefined, args: string): Delta => ({
  ...(id ? { id, type: 'function' } : {}),
  function: { ...(name ? { name } : {}), arguments: args },
});

// Ollama and Gemini: each call whole, two in one chunk.
const whole = await streaming([[call('call_a', 'get_weather', '{"city":"Paris"}'), call('call_b', 'get_time', '{"tz":"CET"}')]]);
// SGLang / mistral.rs: a call's name and id first, its arguments in later deltas without either.
const pieces = await streaming([
  [call('call_a', 'get_weather', '')],
  [call(undefined, undefined, '{"city":')],
  [call(undefined, undefined, '"Paris"}')],
  [call('call_b', 'get_time', '{"tz":"CET"}')],
]);
// No ids at all: each name starts a call.
const anonymous = await streaming([[call(undefined, 'get_weather', '{"city":"Paris"}')], [call(undefined, 'get_time', '{"tz":"CET"}')]]);

const gw = await useGateway(
  `
version: 1
backends:
  whole: { url: "{{whole}}" }
  pieces: { url: "{{pieces}}" }
  anonymous: { url: "{{anonymous}}" }
models:
  whole: { targets: [{ backend: whole }] }
  pieces: { targets: [{ backend: pieces }] }
  anonymous: { targets: [{ backend: anonymous }] }
`,
  { whole: whole.url, pieces: pieces.url, anonymous: anonymous.url },
);
const client = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
const tools = [
  { name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } },
  { name: 'get_time', input_schema: { type: 'object' as const, properties: { tz: { type: 'string' } } } },
];

describe('streamed tool calls without an index, from an OpenAI backend to an Anthropic client', () => {
  it.each(['whole', 'pieces', 'anonymous'])('%s: each call is a tool_use block of its own, its input whole', async (model) => {
    const m = await client.messages
      .stream({ model, max_tokens: 50, messages: [{ role: 'user', content: 'Weather and time in Paris?' }], tools })
      .finalMessage();
    expect(m.stop_reason).toBe('tool_use');
    const uses = m.content.filter((b) => b.type === 'tool_use');
    expect(uses.map((b) => [b.name, b.input])).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_time', { tz: 'CET' }],
    ]);
    if (model !== 'anonymous') expect(uses.map((b) => b.id)).toEqual(['call_a', 'call_b']);
    expect(new Set(uses.map((b) => b.id)).size).toBe(2);
  });
});
