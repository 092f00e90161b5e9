/**
 * The streaming translators on recorded transcripts (fixtures/sse), judged by an independent fold of the
 * output, by OpenAI's OpenAPI schema (when ../shared/spec is there) and by the official SDKs themselves
 * (their stream helpers, fed the translated bytes through a fetch that answers with them).
 */
import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { aigwError } from '../../../src/core/errors.js';
import { decodeSseBody } from '../../../src/openai/sse.js';
import { ChatToMessagesStream } from '../../../src/translate/anthropic-openai-stream.js';
import { MessagesToChatStream } from '../../../src/translate/openai-anthropic-stream.js';
import { schemaErrors, specAvailable } from '../../helpers/openapi.js';
import { anthropicEvent, messageStart } from '../../helpers/anthropic-sse.js';
import { foldChat, foldMessage, translateBody } from '../../helpers/sse-accumulate.js';

const fixture = (name: string) => readFileSync(`fixtures/sse/${name}`, 'utf8');
const toChat = (includeUsage = true) => new MessagesToChatStream({ requestModel: 'claude-up', includeUsage, created: 1_700_000_000 });
const sse = (body: string) => async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } });

describe('OpenAI backend stream → Anthropic events (vllm-chat-tool-calls.sse)', () => {
  const t = new ChatToMessagesStream('qwen-up');
  const out = translateBody(t, fixture('vllm-chat-tool-calls.sse'));
  const f = foldMessage(out);

  it("emits Anthropic's event sequence: start, ping, one block per part, delta, stop", () => {
    expect(f.events[0]).toBe('message_start');
    expect(out.indexOf('event: ping')).toBeGreaterThan(0);
    expect(f.events.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(f.stopped).toBe(true);
  });

  it('carries reasoning as thinking, text, and each tool call as a tool_use block with its input', () => {
    expect(f.message.content).toEqual([
      { type: 'thinking', thinking: 'Two cities, two calls.', signature: '' },
      { type: 'text', text: 'Checking Zürich and 北京.' },
      { type: 'tool_use', id: 'chatcmpl-tool-a1', name: 'get_weather', input: { city: 'Zürich' } },
      { type: 'tool_use', id: 'chatcmpl-tool-b2', name: 'get_weather', input: { city: '北京' } },
    ]);
    expect(f.message.stop_reason).toBe('tool_use');
    expect(f.message.model).toBe('Qwen/Qwen3-32B');
  });

  it('reports usage with cache reads apart, in message_delta and to accounting', () => {
    expect(f.message.usage).toMatchObject({ input_tokens: 146, cache_read_input_tokens: 64, output_tokens: 52 });
    expect(t.usage).toEqual({ input: 210, output: 52, cacheRead: 64, cacheCreation: 0 });
    expect(t).toMatchObject({ completed: true, error: undefined, contentStarted: true, model: 'Qwen/Qwen3-32B' });
  });

  it('is read by the Anthropic SDK: messages.stream().finalMessage()', async () => {
    const client = new Anthropic({ apiKey: 'k', baseURL: 'http://sdk.invalid', fetch: sse(out), maxRetries: 0 });
    const m = await client.messages.stream({ model: 'x', max_tokens: 10, messages: [{ role: 'user', content: 'q' }] }).finalMessage();
    expect(m.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use', 'tool_use']);
    expect(m.content[3]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: '北京' } });
    expect(m.stop_reason).toBe('tool_use');
    expect(m.usage).toMatchObject({ input_tokens: 146, output_tokens: 52, cache_read_input_tokens: 64 });
  });

  it('translates event by event: each content chunk is answered at once', () => {
    const t2 = new ChatToMessagesStream('m');
    const events = decodeSseBody(fixture('vllm-chat-tool-calls.sse'));
    t2.push(events[0]!);
    for (const ev of events.slice(1, 9)) expect(t2.push(ev)).toMatch(/event: content_block_(delta|start)/);
  });
});

describe('Anthropic backend stream → OpenAI chunks', () => {
  it('text then a tool call (anthropic-text-and-tool.sse): role first, id/type/name first, argument fragments, usage, [DONE]', () => {
    const t = toChat();
    const out = translateBody(t, fixture('anthropic-text-and-tool.sse'));
    const f = foldChat(out);
    expect(f.chunks[0]!.choices).toEqual([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
    expect(f.content).toBe("Okay, let's check the weather in Zürich — 北京 too 🙂");
    expect(f.toolCalls).toEqual([
      {
        id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
        type: 'function',
        name: 'get_weather',
        arguments: '{"location": "Zürich", "unit": "celsius"}',
      },
    ]);
    expect(f.finish).toBe('tool_calls');
    expect(f.usage).toEqual({
      prompt_tokens: 600,
      completion_tokens: 89,
      total_tokens: 689,
      prompt_tokens_details: { cached_tokens: 128 },
    });
    expect(f.chunks.at(-1)!.choices).toEqual([]);
    expect(out.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(f.doneCount).toBe(1);
    expect(t).toMatchObject({ completed: true, usage: { input: 600, output: 89, cacheRead: 128 }, model: 'claude-sonnet-4-5' });
    if (specAvailable) for (const c of f.chunks) expect(schemaErrors('CreateChatCompletionStreamResponse', c)).toEqual([]);
  });

  it('keeps tool calls apart when a backend reuses a block index: each call gets its own arguments, no other block’s', () => {
    const ev = anthropicEvent;
    const tool = (id: string, args: string) =>
      ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id, name: 'f', input: {} } }) +
      ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: args } }) +
      ev('content_block_stop', { index: 0 });
    const start = messageStart({ input_tokens: 1, output_tokens: 1 });
    const end = ev('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } }) + ev('message_stop', {});
    const twice = foldChat(translateBody(toChat(), start + tool('t1', '{"a":1}') + tool('t2', '{"b":2}') + end));
    expect(twice.toolCalls.map((c) => [c.id, c.arguments])).toEqual([
      ['t1', '{"a":1}'],
      ['t2', '{"b":2}'],
    ]);
    // A text block that takes a tool block's index: arguments for it are not a tool call's.
    const reused =
      start +
      ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 't1', name: 'f', input: {} } }) +
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"b":2}' } }) +
      end;
    const f = foldChat(translateBody(toChat(), reused));
    expect(f.error?.code).toBe('bad_upstream_response');
    // The tool call the text block replaced had no argument text: it closed as "{}".
    expect(f.toolCalls.map((c) => c.arguments)).toEqual(['{}']);
  });

  it('a text or thinking delta for a tool_use block is dropped, as the Anthropic SDK drops it: not shown as the answer', () => {
    const ev = anthropicEvent;
    const body =
      messageStart({ input_tokens: 1, output_tokens: 1 }) +
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi' } }) +
      ev('content_block_stop', { index: 0 }) +
      ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 't1', name: 'f', input: {} } }) +
      ev('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'stray' } }) +
      ev('content_block_delta', { index: 1, delta: { type: 'thinking_delta', thinking: 'stray' } }) +
      ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } }) +
      ev('content_block_stop', { index: 1 }) +
      ev('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } }) +
      ev('message_stop', {});
    const f = foldChat(translateBody(toChat(), body));
    expect(f.error).toBeUndefined();
    expect(f.content).toBe('Hi');
    expect(f.reasoning ?? '').toBe('');
    expect(f.toolCalls.map((c) => [c.id, c.arguments])).toEqual([['t1', '{"a":1}']]);
  });

  // The Anthropic SDKs skip an event without its `event:` line and read on: read by its data's type, an unnamed
  // message_stop ended the OpenAI answer with a clean [DONE] after "Hello", where the backend said "Hello world".
  it('skips an event without its event: line, as the Anthropic SDKs do — but an error, which it is', () => {
    const ev = anthropicEvent;
    const unnamed = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
    const start =
      messageStart({ input_tokens: 1, output_tokens: 1 }) +
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    const hello = ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } });
    const rest =
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ' world' } }) +
      ev('content_block_stop', { index: 0 }) +
      ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }) +
      ev('message_stop', {});
    const skipped =
      unnamed({ type: 'message_stop' }) + unnamed({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '!' } });
    const f = foldChat(translateBody(toChat(), start + hello + skipped + rest));
    expect([f.content, f.finish, f.done, f.doneCount]).toEqual(['Hello world', 'stop', true, 1]);
    const failed = foldChat(
      translateBody(toChat(), start + hello + unnamed({ type: 'error', error: { type: 'overloaded_error', message: 'busy' } })),
    );
    expect([f.error, failed.error?.code, failed.done]).toEqual([undefined, 'upstream_stream_error', false]);
  });

  // The Anthropic SDK reads an input_json_delta's JSON in place of the input a tool_use block opened with: sent at
  // once, that input and the delta's ran together (`{"a":1}{"b":2}`, not JSON) for the OpenAI client.
  // An empty delta too: the SDK reads the deltas' JSON from the first on (`jsonBuf ? partialParse(jsonBuf) : {}`).
  it.each([
    ['with input_json_delta after it: the delta’s input', '{"b":2}', '{"b":2}'],
    ['alone: the input it opened with', undefined, '{"a":1}'],
    ['with an empty input_json_delta after it: {}', '', '{}'],
  ])('a tool_use block that opens with an input, %s', (_n, delta, args) => {
    const ev = anthropicEvent;
    const body =
      messageStart({ input_tokens: 1, output_tokens: 1 }) +
      ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } } }) +
      (delta !== undefined ? ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: delta } }) : '') +
      ev('content_block_stop', { index: 0 }) +
      ev('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } }) +
      ev('message_stop', {});
    expect(foldChat(translateBody(toChat(), body)).toolCalls.map((c) => c.arguments)).toEqual([args]);
    // Without content_block_stop, the same at message_delta.
    const noStop = body.replace(ev('content_block_stop', { index: 0 }), '');
    expect(foldChat(translateBody(toChat(), noStop)).toolCalls.map((c) => c.arguments)).toEqual([args]);
  });

  // One opening input is held at most: another tool_use block opening sends it (16 open blocks of 8 MiB inputs held
  // 129 MiB). A delta for that block after it is refused: the client has an input the SDK would not read.
  it.each([
    ['closed as they came: each its opening input', '', ['{"a":1}', '{"b":2}']],
    ['a delta for the first after the second opened: refused', 'delta', undefined],
  ])('two tool_use blocks open at once, %s', (_n, then, args) => {
    const ev = anthropicEvent;
    const body =
      messageStart({ input_tokens: 1, output_tokens: 1 }) +
      ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } } }) +
      ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 't2', name: 'g', input: { b: 2 } } }) +
      (then ? ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"c":3}' } }) : '') +
      ev('content_block_stop', { index: 0 }) +
      ev('content_block_stop', { index: 1 }) +
      ev('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } }) +
      ev('message_stop', {});
    const f = foldChat(translateBody(toChat(), body));
    if (args) expect([f.toolCalls.map((c) => c.arguments), f.error]).toEqual([args, undefined]);
    else
      expect([f.error?.code, f.error?.message, f.done]).toEqual([
        'bad_upstream_response',
        expect.stringMatching(/another tool_use block opened/),
        false,
      ]);
  });

  it("a tool call's input nested past what JSON.stringify can write (a hostile backend): its text as it came, no throw", () => {
    const ev = anthropicEvent;
    // The input goes out as the backend wrote it (a number past 2^53 written again is another): nothing is written again.
    const input = `{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const deep = `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":${input}}}`;
    const body = `${messageStart({ input_tokens: 1, output_tokens: 1 })}event: content_block_start\ndata: ${deep}\n\n${ev('message_stop', {})}`;
    const f = foldChat(translateBody(toChat(), body));
    expect(f.error).toBeUndefined();
    expect(f.toolCalls.map((c) => c.arguments)).toEqual([input]);
  });

  it('a tool call without argument text gets "{}" when its block stops: openai-node parses a strict tool’s arguments', async () => {
    const ev = anthropicEvent;
    const body =
      messageStart({ input_tokens: 1, output_tokens: 1 }) +
      ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 't1', name: 'now', input: {} } }) +
      ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '' } }) +
      ev('content_block_stop', { index: 0 }) +
      ev('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } }) +
      ev('message_stop', {});
    const out = translateBody(toChat(), body);
    expect(foldChat(out).toolCalls.map((c) => c.arguments)).toEqual(['{}']);
    const client = new OpenAI({ apiKey: 'k', baseURL: 'http://sdk.invalid/v1', fetch: sse(out), maxRetries: 0 });
    const c = await client.chat.completions
      .stream({
        model: 'x',
        messages: [{ role: 'user', content: 'q' }],
        tools: [{ type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} }, strict: true } }],
      })
      .finalChatCompletion();
    expect(c.choices[0]!.message.tool_calls?.[0]).toMatchObject({ function: { name: 'now', arguments: '{}', parsed_arguments: {} } });
    // Without a content_block_stop, the call is closed at message_delta.
    const noStop = body.replace(ev('content_block_stop', { index: 0 }), '');
    expect(foldChat(translateBody(toChat(), noStop)).toolCalls.map((c) => c.arguments)).toEqual(['{}']);
  });

  it('without usage in message_delta, the output is not message_start’s placeholder 1: the larger of it and the estimate', () => {
    const ev = anthropicEvent;
    const words = Array.from({ length: 50 }, (_, i) =>
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: `word${i} is a longer run ` } }),
    );
    const body =
      messageStart({ input_tokens: 10, output_tokens: 1 }) +
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      words.join('') +
      ev('content_block_stop', { index: 0 }) +
      ev('message_delta', { delta: { stop_reason: 'end_turn' } }) +
      ev('message_stop', {});
    const t = toChat();
    const f = foldChat(translateBody(t, body));
    expect(t.outputEstimate).toBeGreaterThan(200);
    expect(f.usage?.completion_tokens).toBe(t.outputEstimate);
    expect(t.usage?.output).toBe(t.outputEstimate);
    expect(t.outputProvisional).toBe(true);
    // A message_delta with usage is the count, whatever the estimate says.
    const counted = toChat();
    translateBody(counted, body.replace('"stop_reason":"end_turn"}', '"stop_reason":"end_turn"},"usage":{"output_tokens":7}'));
    expect(counted.usage?.output).toBe(7);
    expect(counted.outputProvisional).toBe(false);
  });

  it('is read by the openai SDK: chat.completions.stream().finalChatCompletion()', async () => {
    const out = translateBody(toChat(), fixture('anthropic-text-and-tool.sse'));
    const client = new OpenAI({ apiKey: 'k', baseURL: 'http://sdk.invalid/v1', fetch: sse(out), maxRetries: 0 });
    const stream = client.chat.completions.stream({
      model: 'x',
      messages: [{ role: 'user', content: 'q' }],
      stream_options: { include_usage: true },
    });
    const c = await stream.finalChatCompletion();
    const choice = c.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(JSON.parse((choice.message.tool_calls![0] as { function: { arguments: string } }).function.arguments)).toEqual({
      location: 'Zürich',
      unit: 'celsius',
    });
    expect(c.usage?.completion_tokens).toBe(89);
  });

  it('sends no usage chunk unless the client asked for it', () => {
    const f = foldChat(translateBody(toChat(false), fixture('anthropic-text-and-tool.sse')));
    expect(f.usage).toBeUndefined();
    expect(f.chunks.every((c) => (c.choices as unknown[]).length === 1)).toBe(true);
    expect(f.done).toBe(true);
  });

  it('thinking becomes reasoning_content; cache creation counts as prompt tokens (anthropic-thinking.sse)', () => {
    const t = toChat();
    const f = foldChat(translateBody(t, fixture('anthropic-thinking.sse')));
    expect(f.reasoning).toBe('27 * 453 = 12231, checking once more.');
    expect(f.content).toBe('27 * 453 = 12,231');
    expect(f.finish).toBe('stop');
    expect(f.usage).toMatchObject({ prompt_tokens: 42, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 0 } });
    expect(t.usage).toEqual({ input: 42, output: 40, cacheRead: 0, cacheCreation: 12 });
  });

  it('a mid-stream error event becomes the OpenAI error frame, with no [DONE] (anthropic-overloaded-midstream.sse)', async () => {
    const t = toChat();
    const out = translateBody(t, fixture('anthropic-overloaded-midstream.sse'));
    const f = foldChat(out);
    expect(f.content).toBe('Once upon');
    expect(f.done).toBe(false);
    expect(f.error).toMatchObject({ code: 'upstream_stream_error', type: 'server_error' });
    expect(f.error!.message).toContain('overloaded_error');
    expect(t).toMatchObject({ completed: false, error: { code: 'upstream_stream_error' } });
    const client = new OpenAI({ apiKey: 'k', baseURL: 'http://sdk.invalid/v1', fetch: sse(out), maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'q' }], stream: true });
    await expect(async () => {
      for await (const _ of stream);
    }).rejects.toBeInstanceOf(OpenAI.APIError);
  });
});

// A stream remembers what is open, not every tool call it relayed: a backend streaming call after call grew the
// gateway's heap with the stream's length (~29 MiB a million calls), in either direction.
describe('tool calls, as many as a stream carries', () => {
  const ev = anthropicEvent;
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'c', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const call = (index: number, args = '{}') =>
    chunk({ tool_calls: [{ index, id: `t${index}`, function: { name: 'f', arguments: args } }] });
  const end = `${chunk({}, 'tool_calls')}data: [DONE]\n\n`;

  it('OpenAI → Anthropic: calls one after another, each its block; a closed call or an index going back is refused', () => {
    const f = foldMessage(translateBody(new ChatToMessagesStream('m'), call(0) + call(1) + call(5) + end));
    expect([f.error, f.message.stop_reason, f.message.content.map((b) => (b as { id?: string }).id)]).toEqual([
      undefined,
      'tool_use',
      ['t0', 't1', 't5'],
    ]);
    // The open call's arguments continue under its index.
    const split =
      chunk({ tool_calls: [{ index: 0, id: 't0', function: { name: 'f', arguments: '{"a"' } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] });
    expect(foldMessage(translateBody(new ChatToMessagesStream('m'), split + end)).message.content).toMatchObject([
      { id: 't0', input: { a: 1 } },
    ]);
    for (const body of [
      call(0) + call(1) + call(0, '') + end,
      call(1) + call(0) + end,
      call(0) + chunk({ content: 'x' }) + call(0, '') + end,
    ]) {
      expect(foldMessage(translateBody(new ChatToMessagesStream('m'), body)).error?.message).toMatch(/tool call 0/);
    }
  });

  it(`Anthropic → OpenAI: tool_use blocks left open are kept apart, up to 128 at once`, () => {
    const open = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        ev('content_block_start', { index: i, content_block: { type: 'tool_use', id: `t${i}`, name: 'f', input: {} } }),
      ).join('');
    const stop = ev('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } }) + ev('message_stop', {});
    const start = messageStart({ input_tokens: 1, output_tokens: 1 });
    const kept = foldChat(translateBody(toChat(), start + open(128) + stop));
    expect([kept.error, kept.toolCalls.length, kept.done]).toEqual([undefined, 128, true]);
    const refused = foldChat(translateBody(toChat(), start + open(129) + stop));
    expect([refused.error?.code, refused.done]).toEqual(['bad_upstream_response', false]);
  });
});

describe('stream endings and failures', () => {
  const chatEvents = decodeSseBody(fixture('vllm-chat-tool-calls.sse'));
  const anthropicEvents = decodeSseBody(fixture('anthropic-text-and-tool.sse'));

  it('an OpenAI stream cut before its finish reason ends in an Anthropic error event, never message_stop', async () => {
    const t = new ChatToMessagesStream('m');
    let out = '';
    for (const ev of chatEvents.slice(0, 5)) out += t.push(ev) ?? '';
    out += t.end() ?? '';
    const f = foldMessage(out);
    expect(f.stopped).toBe(false);
    expect(f.error).toEqual({ type: 'api_error', message: "the backend's stream ended before its answer was complete" });
    expect(t.completed).toBe(false);
    const client = new Anthropic({ apiKey: 'k', baseURL: 'http://sdk.invalid', fetch: sse(out), maxRetries: 0 });
    const s = await client.messages.create({ model: 'x', max_tokens: 10, messages: [{ role: 'user', content: 'q' }], stream: true });
    await expect(async () => {
      for await (const _ of s);
    }).rejects.toBeInstanceOf(Anthropic.APIError);
  });

  it.each(['abort', 'error'])('an OpenAI stream vLLM gave up on (finish_reason %s) ends in an Anthropic error event', (reason) => {
    const t = new ChatToMessagesStream('m');
    const chunk = (o: object) => ({ event: undefined, id: undefined, comments: [], data: JSON.stringify({ id: 'c', model: 'm', ...o }) });
    let out = t.push(chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Half an' }, finish_reason: null }] })) ?? '';
    out += t.push(chunk({ choices: [{ index: 0, delta: {}, finish_reason: reason }] })) ?? '';
    out += t.end() ?? '';
    const f = foldMessage(out);
    expect(f.stopped).toBe(false);
    expect(f.error).toMatchObject({ type: 'api_error' });
    expect(t.completed).toBe(false);
  });

  it('an OpenAI stream that ends cleanly after its finish reason but without [DONE] still ends properly', () => {
    const t = new ChatToMessagesStream('m');
    let out = '';
    for (const ev of chatEvents.slice(0, -1)) out += t.push(ev) ?? '';
    out += t.end() ?? '';
    expect(foldMessage(out).stopped).toBe(true);
    expect(t.completed).toBe(true);
  });

  it('an Anthropic stream cut before message_delta ends in an OpenAI error frame, never [DONE]', () => {
    const t = toChat();
    let out = '';
    for (const ev of anthropicEvents.slice(0, 6)) out += t.push(ev) ?? '';
    out += t.end() ?? '';
    const f = foldChat(out);
    expect(f.done).toBe(false);
    expect(f.error?.code).toBe('upstream_stream_error');
  });

  it('an Anthropic stream that ends after message_delta without message_stop is cut: the error frame, never [DONE]', () => {
    // The Anthropic SDK refuses such a stream, and so does the pass-through relay.
    const t = toChat();
    let out = '';
    for (const ev of anthropicEvents.slice(0, -1)) out += t.push(ev) ?? '';
    out += t.end() ?? '';
    expect(foldChat(out)).toMatchObject({ done: false, finish: 'tool_calls', error: { code: 'upstream_stream_error' } });
    expect(t.completed).toBe(false);
  });

  it.each([
    ['an idle timeout', aigwError('upstream_idle_timeout', 'no data for 60s'), 'timeout_error'],
    ['a reset', aigwError('upstream_stream_error', 'connection reset'), 'api_error'],
  ])('fail() on %s gives the client its error frame once; after the end it gives nothing', (_n, err, type) => {
    const t = new ChatToMessagesStream('m');
    t.push(chatEvents[0]!);
    expect(foldMessage(t.fail(err)!).error).toEqual({ type, message: err.message });
    expect(t.fail(err)).toBeUndefined();
    expect(t.push(chatEvents[1]!)).toBeUndefined();
    const done = new ChatToMessagesStream('m');
    for (const ev of chatEvents) done.push(ev);
    expect(done.fail(err)).toBeUndefined();
    const o = toChat();
    o.push(anthropicEvents[0]!);
    expect(foldChat(o.fail(err)!).error?.code).toBe(err.code);
  });

  it('a backend error frame in an OpenAI stream becomes an Anthropic error event', () => {
    const t = new ChatToMessagesStream('m');
    t.push(chatEvents[0]!);
    const out = t.push({
      event: undefined,
      data: '{"error":{"message":"boom","type":"InternalServerError","code":500}}',
      id: undefined,
      comments: [],
    });
    expect(foldMessage(out!).error).toEqual({ type: 'api_error', message: 'backend stream error: boom' });
    expect(t.push(chatEvents[1]!)).toBeUndefined();
  });

  it.each([
    ['not JSON', 'data: {"choices": [', 'bad_upstream_response'],
    ['not a chunk', 'data: {"choices": 7}', 'bad_upstream_response'],
  ])('an OpenAI event that is %s ends the stream with an error event', (_n, raw, code) => {
    const t = new ChatToMessagesStream('m');
    const f = foldMessage(translateBody(t, `${raw}\n\n${chatEvents.map((e) => `data: ${e.data}\n\n`).join('')}`));
    expect(f.error?.type).toBe('api_error');
    expect(t.error?.code).toBe(code);
  });

  it.each([
    [
      'a delta before message_start',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}\n\n',
    ],
    [
      'input for a block that is not a tool',
      `${fixture('anthropic-thinking.sse').split('\n\n').slice(0, 2).join('\n\n')}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}}\n\n`,
    ],
    ['an event without a type', 'event: message_start\ndata: {"x":1}\n\n'],
  ])('an Anthropic stream with %s ends in an OpenAI error frame', (_n, body) => {
    const t = toChat();
    const f = foldChat(translateBody(t, body));
    expect(f.error?.code).toBe('bad_upstream_response');
    expect(f.done).toBe(false);
  });

  it('keep-alives cross over: Anthropic pings become SSE comments, OpenAI comments become ping events', () => {
    const o = toChat();
    o.push(anthropicEvents[0]!);
    expect(o.push({ event: 'ping', data: '{"type": "ping"}', id: undefined, comments: [] })).toBe(': ping\n\n');
    const a = new ChatToMessagesStream('m');
    // Before message_start there is no message to ping in: the keep-alive goes on as a comment (the client's head and
    // its idle timers see it; trust-translate-keepalive-before-first-chunk.test.ts).
    expect(a.push({ event: undefined, data: undefined, id: undefined, comments: ['ping'] })).toBe(': ping\n\n');
    a.push(chatEvents[0]!);
    expect(a.push({ event: undefined, data: undefined, id: undefined, comments: ['ping'] })).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });

  it('ignores event and delta types newer than it knows', () => {
    const o = toChat();
    o.push(anthropicEvents[0]!);
    expect(o.push({ event: 'x', data: '{"type":"message_annotation","x":1}', id: undefined, comments: [] })).toBeUndefined();
    expect(
      o.push({
        event: 'content_block_delta',
        data: '{"type":"content_block_delta","index":0,"delta":{"type":"shiny_delta"}}',
        id: undefined,
        comments: [],
      }),
    ).toBeUndefined();
    expect(o.error).toBeUndefined();
  });

  it('only an exact [DONE] ends an OpenAI stream', () => {
    const t = new ChatToMessagesStream('m');
    t.push(chatEvents[0]!);
    t.push({ event: undefined, data: '[DONE]x', id: undefined, comments: [] });
    expect(t.completed).toBe(false);
    expect(t.error?.code).toBe('bad_upstream_response');
  });
});

describe('OpenAI backend stream → Anthropic: how the answer ended, refusals, tool arguments', () => {
  const data = (o: object | string) => ({
    event: undefined,
    id: undefined,
    comments: [],
    data: typeof o === 'string' ? o : JSON.stringify({ id: 'c', model: 'm', ...o }),
  });
  const choice = (delta: object, finish: string | null = null) => ({ choices: [{ index: 0, delta, finish_reason: finish }] });
  const call = (args: string, name?: string) => ({
    tool_calls: [{ index: 0, ...(name ? { id: 'call_1', function: { name, arguments: args } } : { function: { arguments: args } }) }],
  });
  const usageChunk = (completion: number) => ({ choices: [], usage: { prompt_tokens: 5, completion_tokens: completion } });
  const run = (t: ChatToMessagesStream, events: (object | string)[]) => events.map((e) => t.push(data(e)) ?? '').join('') + (t.end() ?? '');
  const finalMessage = (out: string) =>
    new Anthropic({ apiKey: 'k', baseURL: 'http://sdk.invalid', fetch: sse(out), maxRetries: 0 }).messages
      .stream({ model: 'x', max_tokens: 10, messages: [{ role: 'user', content: 'q' }] })
      .finalMessage();

  it("a tool call's arguments past what may be held end the stream with an error, holding nothing more", () => {
    const t = new ChatToMessagesStream('m', undefined, 64);
    const out = run(t, [
      choice({ role: 'assistant', ...call('{"a":"', 'f') }),
      ...Array.from({ length: 10 }, () => choice(call('x'.repeat(10)))),
      '[DONE]',
    ]);
    expect(t.error?.code).toBe('upstream_stream_error');
    expect(t.error?.message).toContain('more than 64 characters of arguments');
    // One error frame, nothing after it: no further delta, stop or message_stop.
    expect(out.match(/event: error/g)).toHaveLength(1);
    expect(out.slice(out.indexOf('event: error'))).not.toContain('content_block');
    expect(out).not.toContain('message_stop');
  });

  it('a backend that sends no usage (include_usage ignored): the client is told the output accounting charges, not 0', async () => {
    const t = new ChatToMessagesStream('m');
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(4);
    const out = run(t, [choice({ role: 'assistant', content: text.slice(0, 90) }), choice({ content: text.slice(90) }, 'stop'), '[DONE]']);
    const m = await finalMessage(out);
    expect(m.usage.output_tokens).toBe(Math.floor(90 / 4) + Math.floor((text.length - 90) / 4));
    // What the relay charges for an answer without usage (relay/translated-sse-relay.ts) is the same estimate.
    expect(t.usage).toBeUndefined();
    expect(t.outputEstimate).toBe(m.usage.output_tokens);
  });

  it.each([
    ['length', 'max_tokens'],
    ['content_filter', 'refusal'],
  ])('a tool call cut by finish_reason %s ends with stop_reason %s, never tool_use', async (finish, reason) => {
    const t = new ChatToMessagesStream('m');
    const out = run(t, [choice(call('{"city":"Zü', 'get_weather')), choice({}, finish), usageChunk(9), '[DONE]']);
    // The input stays cut, as Anthropic streams it on max_tokens; the SDK reads it leniently.
    expect(out).toContain(`"stop_reason":"${reason}"`);
    expect(t.completed).toBe(true);
    expect((await finalMessage(out)).stop_reason).toBe(reason);
  });

  it.each(['stop', 'tool_calls'])('a tool call that finished (finish_reason %s) ends with stop_reason tool_use', (finish) => {
    const out = run(new ChatToMessagesStream('m'), [choice(call('{"city":"Zürich"}', 'get_weather')), choice({}, finish), '[DONE]']);
    expect(foldMessage(out).message.stop_reason).toBe('tool_use');
  });

  it('a streamed refusal becomes a text block, and content_filter stop_reason refusal, as the non-streamed answer does', async () => {
    const out = run(new ChatToMessagesStream('m'), [
      choice({ refusal: "I can't " }),
      choice({ refusal: 'help with that.' }),
      choice({}, 'content_filter'),
      '[DONE]',
    ]);
    const m = await finalMessage(out);
    expect(m.content).toMatchObject([{ type: 'text', text: "I can't help with that." }]);
    expect(m.stop_reason).toBe('refusal');
  });

  it.each([
    ['an array', '[1,', '2]'],
    ['not JSON', '{"a":', '}'],
  ])('tool arguments that assemble to %s end the stream with the error event, as the non-streamed answer is a 502', async (_n, a, b) => {
    const t = new ChatToMessagesStream('m');
    const out = run(t, [choice(call(a, 'f')), choice(call(b)), choice({}, 'tool_calls'), '[DONE]']);
    const f = foldMessage(out);
    expect(f.stopped).toBe(false);
    expect(f.error).toMatchObject({ type: 'api_error' });
    expect(t.error?.code).toBe('bad_upstream_response');
    await expect(finalMessage(out)).rejects.toBeInstanceOf(Anthropic.APIError);
  });

  it('a tool call followed by another checks the first one’s arguments when it closes', () => {
    const t = new ChatToMessagesStream('m');
    const second = { tool_calls: [{ index: 1, id: 'call_2', function: { name: 'g', arguments: '{}' } }] };
    const out = run(t, [choice(call('[1,2]', 'f')), choice(second), choice({}, 'tool_calls'), '[DONE]']);
    expect(foldMessage(out).error).toMatchObject({ type: 'api_error' });
    expect(out).not.toContain('"name":"g"');
  });

  it('[DONE] without any finish_reason is a cut: the error event, never end_turn (openai-node refuses such a stream too)', async () => {
    const t = new ChatToMessagesStream('m');
    const out = run(t, [choice({ content: 'Half an' }), usageChunk(2), '[DONE]']);
    const f = foldMessage(out);
    expect(f.stopped).toBe(false);
    expect(f.error).toEqual({ type: 'api_error', message: "the backend's stream ended without a finish_reason" });
    expect(t.completed).toBe(false);
    await expect(finalMessage(out)).rejects.toBeInstanceOf(Anthropic.APIError);
  });

  it('with usage in every chunk (vLLM continuous usage), message_delta waits for the usage-only chunk: the client is told what is charged', () => {
    const t = new ChatToMessagesStream('m');
    const withUsage = (o: object, n: number) => ({ ...o, usage: { prompt_tokens: 5, completion_tokens: n } });
    const out = run(t, [withUsage(choice({ content: 'a' }), 1), withUsage(choice({ content: 'b' }, 'stop'), 2), usageChunk(3), '[DONE]']);
    expect(foldMessage(out).message.usage).toMatchObject({ output_tokens: 3 });
    expect(t.usage?.output).toBe(3);
  });

  it('without a usage-only chunk, message_delta goes at [DONE] with the last usage seen', () => {
    const t = new ChatToMessagesStream('m');
    const out = run(t, [choice({ content: 'a' }), { ...choice({}, 'stop'), usage: { prompt_tokens: 5, completion_tokens: 2 } }, '[DONE]']);
    expect(foldMessage(out)).toMatchObject({ stopped: true, message: { usage: { output_tokens: 2 }, stop_reason: 'end_turn' } });
  });
});

describe('Azure’s first chunk', () => {
  it('a chunk of only prompt_filter_results (no choices, empty id and model) starts nothing: the message takes the next chunk’s id and model', () => {
    const t = new ChatToMessagesStream('requested');
    const filter = '{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0}]}';
    expect(t.push({ event: undefined, id: undefined, comments: [], data: filter })).toBeUndefined();
    const first = t.push({
      event: undefined,
      id: undefined,
      comments: [],
      data: '{"id":"c9","model":"gpt-4o-prod","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"}}]}',
    });
    expect(first).toContain('"id":"c9"');
    expect(first).toContain('"model":"gpt-4o-prod"');
    expect(t.model).toBe('gpt-4o-prod');
  });
});
