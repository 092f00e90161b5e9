import { describe, expect, it } from 'vitest';
import { messagesToChat } from '../../../src/translate/anthropic-openai.js';

const base = { model: 'claude-x', max_tokens: 64 };
const PNG = 'iVBORw0KGgo=';

function translate(req: Record<string, unknown>): Record<string, unknown> {
  const r = messagesToChat(req, 'upstream-model');
  if (!r.ok) throw new Error(`refused: ${r.error.message}`);
  return JSON.parse(r.value.body) as Record<string, unknown>;
}

describe('Anthropic Messages request → chat completions request', () => {
  it.each([
    [
      'a plain prompt, with the upstream model name and max_tokens',
      { ...base, messages: [{ role: 'user', content: 'hi' }] },
      { model: 'upstream-model', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] },
    ],
    [
      'system blocks, one system message of text parts (chat templates refuse a second system message)',
      {
        ...base,
        system: [
          { type: 'text', text: 'A' },
          { type: 'text', text: 'B', cache_control: { type: 'ephemeral' } },
        ],
        messages: [{ role: 'user', content: 'q' }],
      },
      {
        messages: [
          {
            role: 'system',
            content: [
              { type: 'text', text: 'A' },
              { type: 'text', text: 'B' },
            ],
          },
          { role: 'user', content: 'q' },
        ],
      },
    ],
    [
      'text blocks join into one string; an image makes content parts (base64 → data: URL, url → url)',
      {
        ...base,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
          },
          { role: 'assistant', content: 'ok' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'see' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/x.jpg' } },
            ],
          },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'ab' },
          { role: 'assistant', content: 'ok' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'see' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
              { type: 'image_url', image_url: { url: 'https://example.com/x.jpg' } },
            ],
          },
        ],
      },
    ],
    [
      'tool_use → tool_calls (content null without text); tool results → tool messages first, then the user text',
      {
        ...base,
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get', input: { city: 'Zürich' } }] },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'thanks' },
              {
                type: 'tool_result',
                tool_use_id: 'toolu_1',
                content: [
                  { type: 'text', text: '21' },
                  { type: 'text', text: 'C' },
                ],
              },
              { type: 'tool_result', tool_use_id: 'toolu_2', content: 'sunny', is_error: true },
            ],
          },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get', arguments: '{"city":"Zürich"}' } }],
          },
          { role: 'tool', tool_call_id: 'toolu_1', content: '21C' },
          // is_error has no field in a tool message: it goes in the text.
          { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: sunny' },
          { role: 'user', content: 'thanks' },
        ],
      },
    ],
    [
      'assistant text with a tool call keeps the text; thinking blocks are dropped',
      {
        ...base,
        messages: [
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'hmm', signature: 's' },
              { type: 'text', text: 'Let me look.' },
              { type: 'tool_use', id: 't', name: 'f', input: {} },
              { type: 'redacted_thinking', data: 'xx' },
            ],
          },
        ],
      },
      {
        messages: [
          {
            role: 'assistant',
            content: 'Let me look.',
            tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
        ],
      },
    ],
    [
      'sampling and stop parameters, user id, top_k',
      {
        ...base,
        messages: [{ role: 'user', content: 'x' }],
        stop_sequences: ['END', '\n\n'],
        temperature: 0.5,
        top_p: 0.9,
        top_k: 40,
        metadata: { user_id: 'u-42' },
        thinking: { type: 'enabled', budget_tokens: 1024 },
        service_tier: 'auto',
      },
      { stop: ['END', '\n\n'], temperature: 0.5, top_p: 0.9, top_k: 40, user: 'u-42' },
    ],
    [
      'tools and tool_choice: any → required, disable_parallel_tool_use → parallel_tool_calls false',
      {
        ...base,
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ name: 'get', description: 'Get it', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
      },
      {
        tools: [
          {
            type: 'function',
            function: { name: 'get', description: 'Get it', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
          },
        ],
        tool_choice: 'required',
        parallel_tool_calls: false,
      },
    ],
    [
      'a named tool choice',
      {
        ...base,
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ name: 'f', input_schema: { type: 'object' } }],
        tool_choice: { type: 'tool', name: 'f' },
      },
      { tool_choice: { type: 'function', function: { name: 'f' } } },
    ],
    [
      'a stream asks for usage',
      { ...base, messages: [{ role: 'user', content: 'x' }], stream: true },
      { stream: true, stream_options: { include_usage: true } },
    ],
  ])('%s', (_name, req, expected) => {
    const out = translate(req);
    expect(out).toMatchObject(expected);
    if (!('thinking' in expected)) expect(out).not.toHaveProperty('thinking');
    expect(out).not.toHaveProperty('service_tier');
    expect(out).not.toHaveProperty('metadata');
  });

  it.each([
    ['no max_tokens', { model: 'm', messages: [{ role: 'user', content: 'x' }] }, 'max_tokens: Field required', 'max_tokens'],
    ['no messages', { ...base, messages: [] }, 'messages', 'messages'],
    ['a bad role', { ...base, messages: [{ role: 'system', content: 'x' }] }, 'messages.0.role', 'messages.0.role'],
    [
      'an image without data',
      { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png' } }] }] },
      'messages.0.content.0.source.data: Field required',
      'messages.0.content.0.source.data',
    ],
    [
      'an image of a type Anthropic does not take',
      {
        ...base,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png;x', data: 'AA' } }] }],
      },
      'image type "image/png;x" is not one of image/jpeg, image/png, image/gif, image/webp',
      'messages.0.content.0.source.media_type',
    ],
    [
      'a document block',
      { ...base, messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] },
      '"document" block cannot be sent to an OpenAI backend',
      'messages.0.content.0',
    ],
    [
      'a Files API image',
      { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] },
      'Files API',
      'messages.0.content.0.source',
    ],
    [
      'a document in a tool result (a picture goes in the user turn after it)',
      {
        ...base,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 't', content: [{ type: 'document', source: { type: 'url', url: 'https://x' } }] },
            ],
          },
        ],
      },
      '"document" block in a tool result',
      'messages.0.content.0.content',
    ],
    [
      'a Files API image in a tool result',
      {
        ...base,
        messages: [
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }],
          },
        ],
      },
      'Files API',
      'messages.0.content.0.content.0.source',
    ],
    [
      'a tool_use in a user message',
      { ...base, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] }] },
      'does not belong in a user message',
      'messages.0.content.0',
    ],
    [
      'a server tool',
      { ...base, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
      'server tool "web_search_20250305"',
      'tools.0.type',
    ],
    [
      'a custom tool without a schema',
      { ...base, messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'f' }] },
      'tools.0.input_schema: Field required',
      'tools.0.input_schema',
    ],
    [
      'MCP servers',
      { ...base, messages: [{ role: 'user', content: 'x' }], mcp_servers: [{}] },
      'mcp_servers: remote MCP servers',
      'mcp_servers',
    ],
    ['a temperature above 1', { ...base, messages: [{ role: 'user', content: 'x' }], temperature: 1.5 }, 'temperature', 'temperature'],
  ])('refuses %s with 400 invalid_request naming the field', (_name, req, message, param) => {
    const r = messagesToChat(req, 'm');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid_request');
    expect(r.error.message).toContain(message);
    expect(r.error.param).toBe(param);
  });

  it('a system prompt of no blocks is no system message; of 200,000 blocks, one message of them all, in order', () => {
    const user = { role: 'user', content: 'q' };
    expect(translate({ ...base, system: [], messages: [user] }).messages).toEqual([user]);
    expect(translate({ ...base, system: '', messages: [user] }).messages).toEqual([user]);
    const system = Array.from({ length: 200_000 }, (_, i) => ({ type: 'text', text: `s${i}` }));
    const [first, ...rest] = translate({ ...base, system, messages: [user] }).messages as { role: string; content: unknown }[];
    expect(first!.role).toBe('system');
    expect(first!.content).toEqual(system.map(({ text }) => ({ type: 'text', text })));
    expect(rest).toEqual([user]);
  });

  it('refuses a tool input that nests deeper than JSON.stringify can go, without throwing', () => {
    let input: Record<string, unknown> = {};
    const root = input;
    for (let i = 0; i < 20_000; i++) {
      const next = {};
      input.a = next;
      input = next;
    }
    const r = messagesToChat(
      { ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: root }] }] },
      'm',
    );
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request', param: 'messages.0.content.0.input' } });
  });
});
