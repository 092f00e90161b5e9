import { describe, expect, it } from 'vitest';
import { chatToMessages, DEFAULT_MAX_TOKENS } from '../../../src/translate/openai-anthropic.js';

const PNG = 'iVBORw0KGgo=';

function translate(req: Record<string, unknown>): Record<string, unknown> {
  const r = chatToMessages({ model: 'gpt-x', ...req }, { model: 'claude-up' });
  if (!r.ok) throw new Error(`refused: ${r.error.message}`);
  return JSON.parse(r.value.body) as Record<string, unknown>;
}

describe('chat completions request → Anthropic Messages request', () => {
  it.each([
    [
      'a plain prompt gets the upstream model and the documented default max_tokens',
      { messages: [{ role: 'user', content: 'hi' }] },
      { model: 'claude-up', max_tokens: DEFAULT_MAX_TOKENS, messages: [{ role: 'user', content: 'hi' }] },
    ],
    [
      'max_completion_tokens wins over max_tokens',
      { messages: [{ role: 'user', content: 'x' }], max_tokens: 5, max_completion_tokens: 9 },
      { max_tokens: 9 },
    ],
    [
      'system and developer messages are hoisted into system blocks, in order',
      {
        messages: [
          { role: 'system', content: 'A' },
          { role: 'user', content: 'q' },
          {
            role: 'developer',
            content: [
              { type: 'text', text: 'B' },
              { type: 'text', text: 'C' },
            ],
          },
        ],
      },
      {
        system: [
          { type: 'text', text: 'A' },
          { type: 'text', text: 'BC' },
        ],
        messages: [{ role: 'user', content: 'q' }],
      },
    ],
    [
      'content parts: data: URLs become base64 sources, https URLs url sources',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is this' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'high' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
      },
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is this' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
      },
    ],
    [
      'tool calls become tool_use blocks; consecutive tool messages merge into one user turn',
      {
        messages: [
          { role: 'user', content: 'weather in two cities' },
          {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'get', arguments: '{"city":"Oslo"}' } },
              { id: 'c2', type: 'function', function: { name: 'get', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: '3C' },
          { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: '30C' }] },
          { role: 'user', content: 'and?' },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'weather in two cities' },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'c1', name: 'get', input: { city: 'Oslo' } },
              { type: 'tool_use', id: 'c2', name: 'get', input: {} },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'c1', content: '3C' },
              { type: 'tool_result', tool_use_id: 'c2', content: '30C' },
            ],
          },
          { role: 'user', content: 'and?' },
        ],
      },
    ],
    [
      'stop, temperature, top_p, user; seed and store are dropped',
      { messages: [{ role: 'user', content: 'x' }], stop: 'END', temperature: 0.2, top_p: 0.5, user: 'u1', seed: 7, store: true, n: 1 },
      { stop_sequences: ['END'], temperature: 0.2, top_p: 0.5, metadata: { user_id: 'u1' } },
    ],
    [
      'tools; required → any; parallel_tool_calls false → disable_parallel_tool_use',
      {
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object', properties: {} } } }],
        tool_choice: 'required',
        parallel_tool_calls: false,
      },
      {
        tools: [{ name: 'f', description: 'd', input_schema: { type: 'object', properties: {} } }],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
      },
    ],
    [
      'a function without parameters gets an empty object schema; a named choice becomes type tool',
      {
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ type: 'function', function: { name: 'f' } }],
        tool_choice: { type: 'function', function: { name: 'f' } },
      },
      { tools: [{ name: 'f', input_schema: { type: 'object', properties: {} } }], tool_choice: { type: 'tool', name: 'f' } },
    ],
    ['a stream', { messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } }, { stream: true }],
  ])('%s', (_name, req, expected) => {
    const out = translate(req);
    expect(out).toMatchObject(expected);
    for (const dropped of ['seed', 'store', 'n', 'stream_options', 'user', 'stop']) expect(out).not.toHaveProperty(dropped);
  });

  it.each([
    ['empty', ''],
    ['whitespace alone', '\n\n '],
    ['null', null],
  ])('leaves out an assistant turn that said nothing (%s), which Anthropic refuses', (_n, content) => {
    const out = translate({
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content },
        { role: 'user', content: 'There?' },
      ],
    });
    expect(out.messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'user', content: 'There?' },
    ]);
  });

  it('reports whether the client asked for the usage chunk', () => {
    const ask = chatToMessages(
      { model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } },
      { model: 'u' },
    );
    const no = chatToMessages({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true }, { model: 'u' });
    expect(ask.ok && ask.value.request.includeUsage).toBe(true);
    expect(no.ok && no.value.request.includeUsage).toBe(false);
  });

  const msgs = [{ role: 'user', content: 'x' }];
  it.each([
    ['n > 1', { messages: msgs, n: 2 }, 'n'],
    ['logprobs', { messages: msgs, logprobs: true }, 'logprobs'],
    ['top_logprobs', { messages: msgs, top_logprobs: 3 }, 'top_logprobs'],
    ['logit_bias', { messages: msgs, logit_bias: { '50256': -100 } }, 'logit_bias'],
    ['a presence penalty', { messages: msgs, presence_penalty: 0.5 }, 'presence_penalty'],
    ['a frequency penalty', { messages: msgs, frequency_penalty: -1 }, 'frequency_penalty'],
    [
      'json_schema output',
      { messages: msgs, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } },
      'response_format',
    ],
    ['json_object output', { messages: msgs, response_format: { type: 'json_object' } }, 'response_format'],
    ['audio output', { messages: msgs, modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'mp3' } }, 'audio'],
    ['reasoning_effort', { messages: msgs, reasoning_effort: 'high' }, 'reasoning_effort'],
    ['legacy functions', { messages: msgs, functions: [{ name: 'f' }] }, 'functions'],
    ['a temperature above 1', { messages: msgs, temperature: 1.3 }, 'temperature'],
    ['a temperature above 2 (schema)', { messages: msgs, temperature: 3 }, 'temperature'],
    [
      'an audio input part',
      { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: '', format: 'wav' } }] }] },
      'messages.0.content.0.type',
    ],
    ['a file part', { messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'f' } }] }] }, 'messages.0.content.0.type'],
    [
      'an SVG image',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/svg+xml;base64,AAAA' } }] }] },
      'messages.0.content.0.image_url.url',
    ],
    [
      'an ftp image',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] },
      'messages.0.content.0.image_url.url',
    ],
    ['a function-role message', { messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages.0.role'],
    [
      'tool arguments that are not an object',
      { messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] },
      'messages.0.tool_calls.0.function.arguments',
    ],
    [
      'tool arguments that are not JSON',
      { messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":' } }] }] },
      'messages.0.tool_calls.0.function.arguments',
    ],
    ['a custom tool', { messages: msgs, tools: [{ type: 'custom', custom: { name: 'g' } }] }, 'tools.0.type'],
    [
      'an allowed_tools choice',
      { messages: msgs, tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'allowed_tools' } },
      'tool_choice',
    ],
    ['no messages', { messages: [] }, 'messages'],
    ['a message without a tool_call_id', { messages: [{ role: 'tool', content: 'x' }] }, 'messages.0.tool_call_id'],
  ])('refuses %s with 400 invalid_request naming the field', (_name, req, param) => {
    const r = chatToMessages({ model: 'gpt-x', ...req }, { model: 'u' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid_request');
    expect(r.error.param).toBe(param);
    expect(r.error.message.startsWith(`${param}:`)).toBe(true);
  });
});
