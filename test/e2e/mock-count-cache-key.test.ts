/**
 * A mock without a prefix cache remembers recent prompts' counts (prefill.ts), and a remembered count must be the count
 * of the same prompt. It was keyed by the text key (text.ts), which holds neither a message's name nor its tool calls —
 * both counted — and joins messages ambiguously, so a request that differed from an earlier one only there was
 * answered with the earlier one's prompt_tokens: an agent's tool round trips, each with other arguments, all counted
 * as the first (the Anthropic mock's input_tokens then disagreed with its own count_tokens).
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { postJson, useMock } from '../helpers/mocks.js';

const promptTokens = async (url: string, path: string, body: unknown) => {
  const r = await postJson(`${url}${path}`, body);
  expect(r.status).toBe(200);
  return ((await r.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
};

/** The count of a mock that has seen nothing: what the prompt counts as, remembered or not. */
const fresh = async (path: string, body: unknown) => {
  const m = await useMock({ name: `fresh-${Math.random()}`, kind: 'vllm' });
  return promptTokens(m.url, path, body);
};

const toolTurn = (args: string) => [
  { role: 'user', content: 'What is the weather?' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: args } }],
  },
  { role: 'tool', tool_call_id: 'call_1', content: '15 degrees' },
];

describe("a mock's remembered prompt counts", () => {
  it.each([
    ["a tool call's arguments", toolTurn('{"city":"Paris"}'), toolTurn(`{"city":"${'Paris, France, Europe, '.repeat(40)}"}`)],
    [
      "a message's name",
      [{ role: 'user', content: 'hello there' }],
      [{ role: 'user', content: 'hello there', name: 'alice_with_a_long_name' }],
    ],
    [
      'one message or two, joined alike',
      [{ role: 'user', content: 'a\n\nuser\nb' }],
      [
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ],
    ],
  ])('are not the count of a prompt that differs in %s', async (_, first, second) => {
    const mock = await useMock({ name: 'counting', kind: 'vllm' });
    const chat = (messages: unknown) => ({ model: 'm', messages, max_tokens: 1 });
    const a = await promptTokens(mock.url, '/v1/chat/completions', chat(first));
    const b = await promptTokens(mock.url, '/v1/chat/completions', chat(second));
    expect(a).toBe(await fresh('/v1/chat/completions', chat(first)));
    expect(b).toBe(await fresh('/v1/chat/completions', chat(second)));
    expect(b).not.toBe(a);
  });

  it('are not the count of a text prompt that reads like token ids', async () => {
    const mock = await useMock({ name: 'completing', kind: 'vllm' });
    const text = '[1000,2000,3000,4000,5000,6000]';
    const ids = await promptTokens(mock.url, '/v1/completions', { model: 'm', prompt: JSON.parse(text), max_tokens: 1 });
    expect(ids).toBe(6);
    expect(await promptTokens(mock.url, '/v1/completions', { model: 'm', prompt: text, max_tokens: 1 })).toBe(
      await fresh('/v1/completions', { model: 'm', prompt: text, max_tokens: 1 }),
    );
  });

  it("the Anthropic mock's input_tokens stay its count_tokens across tool round trips with other inputs", async () => {
    const mock = await useMock({ name: 'claude', kind: 'anthropic' });
    const client = new Anthropic({ apiKey: 'k', baseURL: mock.url, maxRetries: 0 });
    const tools: Anthropic.Tool[] = [{ name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }];
    const round = (input: unknown): Anthropic.MessageParam[] => [
      { role: 'user', content: 'Look it up.' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'found' }] },
    ];
    for (const input of [{ q: 'x' }, { q: 'a much longer query '.repeat(30) }, { q: 'y', page: 2 }]) {
      const messages = round(input);
      const m = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1, tools, messages });
      const counted = await client.messages.countTokens({ model: 'claude-sonnet-4-5', tools, messages });
      expect(m.usage.input_tokens).toBe(counted.input_tokens);
    }
  });
});
