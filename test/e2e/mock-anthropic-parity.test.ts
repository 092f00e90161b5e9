/**
 * One prompt, one answer, whichever API carries it: a Messages request sent to the Anthropic mock, and the
 * same request translated (src/translate) and sent to the vLLM mock with its answer translated back, give
 * the same text, stop reason, usage and tool call — streamed or not, in both directions. This is what lets a
 * test through the gateway recompute what a client should have received.
 */
import { describe, expect, it } from 'vitest';
import { messagesToChat } from '../../src/translate/anthropic-openai.js';
import { chatToMessage } from '../../src/translate/anthropic-openai-response.js';
import { ChatToMessagesStream } from '../../src/translate/anthropic-openai-stream.js';
import { chatToMessages } from '../../src/translate/openai-anthropic.js';
import { messageToChat } from '../../src/translate/openai-anthropic-response.js';
import { MessagesToChatStream } from '../../src/translate/openai-anthropic-stream.js';
import { useMock } from '../helpers/mocks.js';
import { foldChat, foldMessage, translateBody } from '../helpers/sse-accumulate.js';

const MODEL = 'shared-model';
const vllm = await useMock({ name: 'vllm-p', kind: 'vllm', models: [MODEL] });
const claude = await useMock({ name: 'claude-p', kind: 'anthropic', models: [MODEL] });
const ANTHROPIC_HEADERS = { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' };

async function post(url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<string> {
  const r = await fetch(url, { method: 'POST', headers, body });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${url} answered ${r.status}: ${text}`);
  return text;
}

const tools = [
  { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } },
];

const anthropicRequests: [string, Record<string, unknown>][] = [
  [
    'a system prompt and a question',
    { system: 'Be brief.', messages: [{ role: 'user', content: 'What is a canary release?' }], max_tokens: 40 },
  ],
  [
    'a tool round trip',
    {
      tools,
      max_tokens: 20,
      messages: [
        { role: 'user', content: 'Weather? [[mock tool=get_weather]]' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '3°C' }] },
      ],
    },
  ],
  ['a tool call', { tools, max_tokens: 20, messages: [{ role: 'user', content: 'Weather? [[mock tool=get_weather]]' }] }],
];

describe('Anthropic client: the Anthropic mock and the vLLM mock behind the translator agree', () => {
  it.each(anthropicRequests)('%s, not streamed', async (_n, req) => {
    const direct = JSON.parse(await post(`${claude.url}/v1/messages`, JSON.stringify({ model: MODEL, ...req }), ANTHROPIC_HEADERS));
    const chat = messagesToChat({ model: 'public', ...req }, MODEL);
    if (!chat.ok) throw new Error(chat.error.message);
    const back = chatToMessage(JSON.parse(await post(`${vllm.url}/v1/chat/completions`, chat.value.body)));
    if (!back.ok) throw new Error(back.error.message);
    const translated = JSON.parse(back.value.body);
    const strip = (blocks: { type: string; id?: string }[]) => blocks.map(({ id: _id, ...b }) => b);
    expect(strip(translated.content)).toEqual(strip(direct.content));
    expect(translated.stop_reason).toBe(direct.stop_reason);
    expect(translated.usage).toEqual(direct.usage);
  });

  it.each(anthropicRequests)('%s, streamed', async (_n, req) => {
    const direct = foldMessage(
      await post(`${claude.url}/v1/messages`, JSON.stringify({ model: MODEL, ...req, stream: true }), ANTHROPIC_HEADERS),
    );
    const chat = messagesToChat({ model: 'public', ...req, stream: true }, MODEL);
    if (!chat.ok) throw new Error(chat.error.message);
    const t = new ChatToMessagesStream(MODEL);
    const translated = foldMessage(translateBody(t, await post(`${vllm.url}/v1/chat/completions`, chat.value.body)));
    const strip = (blocks: Record<string, unknown>[]) => blocks.map(({ id: _id, ...b }) => b);
    expect(strip(translated.message.content)).toEqual(strip(direct.message.content));
    expect(translated.message.stop_reason).toBe(direct.message.stop_reason);
    expect(translated.message.usage).toMatchObject({
      output_tokens: direct.message.usage.output_tokens,
      input_tokens: direct.message.usage.input_tokens,
    });
    expect(translated.stopped && direct.stopped).toBe(true);
  });
});

const openAIRequests: [string, Record<string, unknown>][] = [
  [
    'a system prompt and a question',
    {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is a canary release?' },
      ],
      max_tokens: 40,
    },
  ],
  [
    'a tool call',
    {
      max_tokens: 20,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: tools[0]!.input_schema } }],
      messages: [{ role: 'user', content: 'Weather? [[mock tool=get_weather]]' }],
    },
  ],
];

describe('OpenAI client: the vLLM mock and the Anthropic mock behind the translator agree', () => {
  it.each(openAIRequests)('%s, not streamed', async (_n, req) => {
    const direct = JSON.parse(await post(`${vllm.url}/v1/chat/completions`, JSON.stringify({ model: MODEL, ...req })));
    const m = chatToMessages({ model: 'public', ...req }, { model: MODEL });
    if (!m.ok) throw new Error(m.error.message);
    const back = messageToChat(JSON.parse(await post(`${claude.url}/v1/messages`, m.value.body, ANTHROPIC_HEADERS)), 0);
    if (!back.ok) throw new Error(back.error.message);
    const translated = JSON.parse(back.value.body);
    const msg = (c: { choices: { message: { content: unknown; tool_calls?: { function: unknown }[] } }[] }) => ({
      content: c.choices[0]!.message.content,
      calls: c.choices[0]!.message.tool_calls?.length ? c.choices[0]!.message.tool_calls.map((tc) => tc.function) : undefined,
    });
    expect(msg(translated)).toEqual(msg(direct));
    expect(translated.choices[0].finish_reason).toBe(direct.choices[0].finish_reason);
    expect(translated.usage).toMatchObject({
      prompt_tokens: direct.usage.prompt_tokens,
      completion_tokens: direct.usage.completion_tokens,
    });
  });

  it.each(openAIRequests)('%s, streamed with include_usage', async (_n, req) => {
    const streamReq = { ...req, stream: true, stream_options: { include_usage: true } };
    const direct = foldChat(await post(`${vllm.url}/v1/chat/completions`, JSON.stringify({ model: MODEL, ...streamReq })));
    const m = chatToMessages({ model: 'public', ...streamReq }, { model: MODEL });
    if (!m.ok) throw new Error(m.error.message);
    const t = new MessagesToChatStream({ requestModel: MODEL, includeUsage: true, created: 0 });
    const translated = foldChat(translateBody(t, await post(`${claude.url}/v1/messages`, m.value.body, ANTHROPIC_HEADERS)));
    const strip = (f: typeof direct) => ({
      content: f.content,
      finish: f.finish,
      calls: f.toolCalls.map(({ id: _id, ...c }) => c),
      done: f.done,
    });
    expect(strip(translated)).toEqual(strip(direct));
    expect(translated.usage).toMatchObject({
      prompt_tokens: direct.usage!.prompt_tokens,
      completion_tokens: direct.usage!.completion_tokens,
    });
  });
});

describe('count_tokens', () => {
  it('equals the input_tokens of the answer, and the prompt_tokens the vLLM mock counts for the translated request', async () => {
    const [, req] = anthropicRequests[0]!;
    const count = JSON.parse(
      await post(
        `${claude.url}/v1/messages/count_tokens`,
        JSON.stringify({ model: MODEL, ...req, max_tokens: undefined }),
        ANTHROPIC_HEADERS,
      ),
    );
    const chat = messagesToChat({ model: 'p', ...req }, MODEL);
    if (!chat.ok) throw new Error(chat.error.message);
    const v = JSON.parse(await post(`${vllm.url}/v1/chat/completions`, chat.value.body));
    expect(count.input_tokens).toBe(v.usage.prompt_tokens);
  });
});
