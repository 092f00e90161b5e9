import { describe, expect, it } from 'vitest';
import { chatToMessage } from '../../../src/translate/anthropic-openai-response.js';
import { messageToChat } from '../../../src/translate/openai-anthropic-response.js';

const completion = (message: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'meta-llama/Llama-3-70B-Instruct',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: 'stop', ...extra }],
  usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25, prompt_tokens_details: { cached_tokens: 8 } },
});

function toMessage(json: unknown): Record<string, unknown> {
  const r = chatToMessage(json);
  if (!r.ok) throw new Error(r.error.message);
  return JSON.parse(r.value.body) as Record<string, unknown>;
}

describe('chat completion → Anthropic Message', () => {
  it('text, the model that answered, usage with cache reads apart', () => {
    const r = chatToMessage(completion({ content: 'Hello 北京' }));
    expect(r.ok && JSON.parse(r.value.body)).toEqual({
      id: 'chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'meta-llama/Llama-3-70B-Instruct',
      content: [{ type: 'text', text: 'Hello 北京' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 8, output_tokens: 5 },
    });
    expect(r.ok && r.value.usage).toEqual({ input: 20, output: 5, cacheRead: 8, cacheCreation: 0 });
  });

  it.each(['abort', 'error'])('refuses an answer vLLM gave up on (finish_reason %s): a cut, never an end_turn', (reason) => {
    const r = chatToMessage(completion({ content: 'Half an ans' }, { finish_reason: reason }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ code: 'bad_upstream_response' });
  });

  it.each([
    ['length', undefined, 'max_tokens', null],
    ['stop', 'END', 'stop_sequence', 'END'],
    ['stop', 128009, 'end_turn', null],
    ['content_filter', undefined, 'refusal', null],
    [null, undefined, 'end_turn', null],
  ])('finish_reason %s (vLLM stop_reason %s) → stop_reason %s', (finish, vllmStop, reason, sequence) => {
    expect(toMessage(completion({ content: 'x' }, { finish_reason: finish, stop_reason: vllmStop }))).toMatchObject({
      stop_reason: reason,
      stop_sequence: sequence,
    });
  });

  it('reasoning first, then text, then tool calls as tool_use blocks; stop_reason tool_use even when finish_reason says stop', () => {
    const m = toMessage(
      completion({
        reasoning_content: 'think',
        content: 'Calling.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get', arguments: '{"a":[1,{"b":"ü"}]}' } },
          { id: 'call_2', type: 'function', function: { name: 'now', arguments: '' } },
        ],
      }),
    );
    expect(m.content).toEqual([
      { type: 'thinking', thinking: 'think', signature: '' },
      { type: 'text', text: 'Calling.' },
      { type: 'tool_use', id: 'call_1', name: 'get', input: { a: [1, { b: 'ü' }] } },
      { type: 'tool_use', id: 'call_2', name: 'now', input: {} },
    ]);
    expect(m.stop_reason).toBe('tool_use');
  });

  it.each([
    ['length', 'max_tokens'],
    ['content_filter', 'refusal'],
  ])(
    'tool calls cut by finish_reason %s: stop_reason %s, never tool_use; the incomplete call is left out, the complete one kept',
    (finish, reason) => {
      const m = toMessage(
        completion(
          {
            content: 'Calling.',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'get', arguments: '{"a":1}' } },
              { id: 'call_2', type: 'function', function: { name: 'put', arguments: '{"city":"Zür' } },
            ],
          },
          { finish_reason: finish },
        ),
      );
      expect(m.content).toEqual([
        { type: 'text', text: 'Calling.' },
        { type: 'tool_use', id: 'call_1', name: 'get', input: { a: 1 } },
      ]);
      expect(m.stop_reason).toBe(reason);
    },
  );

  it.each(['tool_calls', null])('tool calls with finish_reason %s: stop_reason tool_use', (finish) => {
    const call = { id: 'call_1', type: 'function', function: { name: 'get', arguments: '{}' } };
    expect(toMessage(completion({ tool_calls: [call] }, { finish_reason: finish })).stop_reason).toBe('tool_use');
  });

  it('an answer without usage reports its output estimate to the client (as streamed) and nothing to accounting', () => {
    const { usage: _u, ...noUsage } = completion({ content: 'x' });
    const r = chatToMessage(noUsage);
    expect(r.ok && r.value.usage).toBeUndefined();
    expect(r.ok && JSON.parse(r.value.body).usage).toMatchObject({ input_tokens: 0, output_tokens: 1 });
  });

  it.each([
    ['strings', { prompt_tokens: '20', completion_tokens: '5' }],
    ['completion_tokens left out', { prompt_tokens: 20 }],
    ['negative', { prompt_tokens: -1, completion_tokens: 5 }],
  ])('a usage that cannot be read (%s) is none: the answer is translated, accounting counts it', (_n, usage) => {
    const r = chatToMessage({ ...completion({ content: 'x' }), usage });
    expect(r.ok && r.value.usage).toBeUndefined();
    expect(r.ok && JSON.parse(r.value.body).content).toEqual([{ type: 'text', text: 'x' }]);
  });

  it.each([
    ['not a completion', { hello: 1 }],
    ['no choices', { ...completion({ content: 'x' }), choices: [] }],
    [
      'tool arguments that are not an object',
      completion({ tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '"str"' } }] }),
    ],
    [
      'tool arguments that are not JSON',
      completion({ tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":' } }] }),
    ],
  ])('an answer with %s is a 502 bad_upstream_response', (_n, json) => {
    expect(chatToMessage(json)).toMatchObject({ ok: false, error: { code: 'bad_upstream_response' } });
  });

  it('marks a refusal of what the model wrote (a prompt can choose it) apart from one of the answer form or a backend that gave up', () => {
    const call = (args: string) => completion({ tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: args } }] });
    for (const args of ['[1]', '"str"', '{"a":']) expect(chatToMessage(call(args))).toMatchObject({ ok: false, written: true });
    for (const json of [
      { hello: 1 },
      { ...completion({ content: 'x' }), choices: [] },
      completion({ content: 'x' }, { finish_reason: 'error' }),
    ])
      expect('written' in chatToMessage(json)).toBe(false);
  });
});

const message = (content: unknown[], extra: Record<string, unknown> = {}) => ({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content,
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 6, cache_creation_input_tokens: 2 },
  ...extra,
});

describe('Anthropic Message → chat completion', () => {
  it('text blocks join; usage counts cache reads and writes as prompt tokens', () => {
    const r = messageToChat(
      message([
        { type: 'text', text: 'Hello ' },
        { type: 'text', text: 'world', citations: [] },
      ]),
      1_700_000_000,
    );
    expect(r.ok && JSON.parse(r.value.body)).toEqual({
      id: 'msg_1',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'claude-sonnet-4-5',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello world', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 18, completion_tokens: 4, total_tokens: 22, prompt_tokens_details: { cached_tokens: 6 } },
    });
    expect(r.ok && r.value.usage).toEqual({ input: 18, output: 4, cacheRead: 6, cacheCreation: 2 });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    // Without a tool_use block no call was made: the model stopped by itself (with one, tool_calls: the next case).
    ['tool_use', 'stop'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'stop'],
    ['model_context_window_exceeded', 'length'],
    ['something_new', 'stop'],
  ])('stop_reason %s → finish_reason %s', (reason, finish) => {
    const r = messageToChat(message([{ type: 'text', text: 'x' }], { stop_reason: reason }), 0);
    expect(r.ok && JSON.parse(r.value.body).choices[0].finish_reason).toBe(finish);
  });

  it('tool_use → tool_calls (content null without text); thinking → reasoning_content; redacted thinking dropped', () => {
    const r = messageToChat(
      message(
        [
          { type: 'thinking', thinking: 'hm', signature: 'sig' },
          { type: 'redacted_thinking', data: 'opaque' },
          { type: 'tool_use', id: 'toolu_1', name: 'get', input: { city: 'Oslo' } },
        ],
        { stop_reason: 'tool_use' },
      ),
      0,
    );
    const c = r.ok && JSON.parse(r.value.body).choices[0];
    expect(c.message).toEqual({
      role: 'assistant',
      content: null,
      refusal: null,
      reasoning_content: 'hm',
      tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get', arguments: '{"city":"Oslo"}' } }],
    });
    expect(c.finish_reason).toBe('tool_calls');
  });

  it.each([
    ['not a Message', { type: 'error', error: { type: 'x', message: 'y' } }],
    ['a tool_use without input', message([{ type: 'tool_use', id: 't', name: 'f' }])],
  ])('an answer that is %s is a 502 bad_upstream_response', (_n, json) => {
    expect(messageToChat(json, 0)).toMatchObject({ ok: false, error: { code: 'bad_upstream_response' } });
  });

  it.each([
    ['negative', { input_tokens: -1, output_tokens: 0 }],
    ['strings', { input_tokens: '10', output_tokens: '4' }],
    ['output_tokens left out', { input_tokens: 10 }],
    ['null', null],
  ])('a usage that cannot be read (%s) is none: the answer is translated, accounting counts it', (_n, usage) => {
    const r = messageToChat(message([{ type: 'text', text: 'hi' }], { usage }), 0);
    expect(r.ok && r.value.usage).toBeUndefined();
    expect(r.ok && JSON.parse(r.value.body).choices[0].message.content).toBe('hi');
    // Left out of the client's answer (optional to openai-node), not told as 0 tokens.
    expect(r.ok && 'usage' in JSON.parse(r.value.body)).toBe(false);
  });
});
