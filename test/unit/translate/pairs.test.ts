/** The gateway's entry points into translate/: the pair selector, the pass-through tap, Azure paths and count_tokens turns. */
import { NO_SCRUB } from '../../../src/core/scrub.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeSseBody } from '../../../src/openai/sse.js';
import { AnthropicStreamTap, anthropicUsageIn } from '../../../src/translate/anthropic-tap.js';
import { countTokensBody, countTokensTurns } from '../../../src/translate/count-tokens.js';
import { azureAuthHeader, azurePath } from '../../../src/translate/openai-azure.js';
import { translatorFor } from '../../../src/translate/pairs.js';
import { foldChat, foldMessage, translateBody } from '../../helpers/sse-accumulate.js';

const fixture = (name: string) => readFileSync(`fixtures/sse/${name}`, 'utf8');

describe('translatorFor', () => {
  it.each([
    ['openai', 'openai'],
    ['openai', 'azure-openai'],
    ['anthropic', 'anthropic'],
  ] as const)('%s client, %s backend: the same API, bytes pass through', (client, backend) => {
    expect(translatorFor(client, backend)).toBeUndefined();
  });

  it('an Anthropic client on an OpenAI-speaking backend (openai, azure-openai): chat completions upstream, answers translated back', () => {
    for (const backend of ['openai', 'azure-openai'] as const) {
      const t = translatorFor('anthropic', backend)!;
      const r = t({ model: 'public', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] }, 'up', 0);
      if (!r.ok) throw new Error(r.error.message);
      expect(r.value).toMatchObject({ stream: true, upstreamApi: 'openai' });
      expect(JSON.parse(r.value.body)).toMatchObject({ model: 'up', stream_options: { include_usage: true } });
      expect(foldMessage(translateBody(r.value.streamTranslator(NO_SCRUB, 1 << 20), fixture('vllm-chat-tool-calls.sse'))).stopped).toBe(
        true,
      );
      const a = r.value.answer({ id: 'c', model: 'up', choices: [{ message: { content: 'x' }, finish_reason: 'stop' }] });
      expect(a.ok && JSON.parse(a.value.body).content).toEqual([{ type: 'text', text: 'x' }]);
    }
  });

  it('an OpenAI client on an Anthropic backend: Messages upstream; the usage chunk only when asked; created from the clock', () => {
    const t = translatorFor('openai', 'anthropic')!;
    const asked = t(
      { model: 'p', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] },
      'claude',
      1_700_000_000_999,
    );
    const not = t({ model: 'p', stream: true, messages: [{ role: 'user', content: 'hi' }] }, 'claude', 0);
    if (!asked.ok || !not.ok) throw new Error('refused');
    expect(asked.value.upstreamApi).toBe('anthropic');
    expect(foldChat(translateBody(asked.value.streamTranslator(NO_SCRUB, 1 << 20), fixture('anthropic-thinking.sse'))).usage).toBeDefined();
    expect(foldChat(translateBody(not.value.streamTranslator(NO_SCRUB, 1 << 20), fixture('anthropic-thinking.sse'))).usage).toBeUndefined();
    const a = asked.value.answer({
      id: 'm',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [],
      stop_reason: 'end_turn',
      usage: { input_tokens: 1, output_tokens: 1 },
    });
    expect(a.ok && JSON.parse(a.value.body).created).toBe(1_700_000_000);
  });

  it('refusals come back as errors, not throws', () => {
    expect(translatorFor('openai', 'anthropic')!({ model: 'p', messages: [{ role: 'user', content: 'x' }], n: 3 }, 'c', 0)).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', param: 'n' },
    });
  });
});

describe('AnthropicStreamTap (pass-through accounting)', () => {
  it('reads usage, model, the first content and the end off a stream it does not change', () => {
    const tap = new AnthropicStreamTap();
    const events = decodeSseBody(fixture('anthropic-text-and-tool.sse'));
    tap.observe(events[0]!);
    expect(tap).toMatchObject({
      model: 'claude-sonnet-4-5',
      contentStarted: false,
      completed: false,
      usage: { input: 600, output: 2, cacheRead: 128 },
    });
    for (const ev of events.slice(1)) tap.observe(ev);
    expect(tap).toMatchObject({
      contentStarted: true,
      completed: true,
      error: undefined,
      usage: { input: 600, output: 89, cacheRead: 128, cacheCreation: 0 },
    });
  });

  it('keeps the counts read so far when a second message_start comes: its placeholder usage replaced them', () => {
    const tap = new AnthropicStreamTap();
    const events = decodeSseBody(fixture('anthropic-text-and-tool.sse'));
    const stop = events.findIndex((e) => e.event === 'message_stop');
    for (const ev of events.slice(0, stop)) tap.observe(ev);
    const again = JSON.parse(events[0]!.data!);
    again.message.model = 'other';
    again.message.usage = { input_tokens: 1, output_tokens: 1 };
    tap.observe({ ...events[0]!, data: JSON.stringify(again) });
    tap.observe(events[stop]!);
    expect(tap).toMatchObject({ completed: true, outputProvisional: false, model: 'claude-sonnet-4-5', usage: { input: 600, output: 89 } });
  });

  it('records a mid-stream error, and never completes', () => {
    const tap = new AnthropicStreamTap();
    for (const ev of decodeSseBody(fixture('anthropic-overloaded-midstream.sse'))) tap.observe(ev);
    expect(tap.completed).toBe(false);
    expect(tap.error).toMatchObject({ code: 'upstream_stream_error' });
    expect(tap.error!.message).toContain('overloaded_error: Overloaded');
  });

  it('reads an event by its event: line only, as the Anthropic SDKs do (they skip one without it), and ignores garbage', () => {
    const tap = new AnthropicStreamTap();
    for (const data of ['{"type":"message_stop"', '[1,2]', '{"type":"message_stop"}'])
      tap.observe({ event: undefined, data, id: undefined, comments: [] });
    expect(tap.completed).toBe(false);
    tap.observe({ event: 'message_stop', data: '{"type":"message_stop"}', id: undefined, comments: [] });
    expect(tap.completed).toBe(true);
  });

  it('but an unnamed error is the error it says it is: its text may echo a secret to a client reading the bytes', () => {
    const tap = new AnthropicStreamTap((t) => t.replaceAll('sk-ant-SECRET', '[redacted]'));
    const data = '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key sk-ant-SECRET"}}';
    tap.observe({ event: undefined, data, id: undefined, comments: [] });
    expect(tap.error?.message).toContain('[redacted]');
    expect(tap.error?.message).not.toContain('sk-ant-SECRET');
  });

  it('anthropicUsageIn reads the usage at the end of a Message body', () => {
    const body = JSON.stringify({
      id: 'm',
      content: [{ type: 'text', text: 'a "usage": {"input_tokens": 999} lookalike' }],
      usage: { input_tokens: 5, cache_creation_input_tokens: 2, cache_read_input_tokens: 3, output_tokens: 7 },
    });
    expect(anthropicUsageIn(body)).toEqual({ input: 10, output: 7, cacheRead: 3, cacheCreation: 2 });
    expect(anthropicUsageIn('{"id":"m"}')).toBeUndefined();
  });

  const usage = { input_tokens: 5, output_tokens: 7 };
  const tool = { type: 'tool_use', id: 't', name: 'bill', input: { usage: { input_tokens: 999, output_tokens: 999 }, note: 'x\\"}' } };
  it.each([
    ['usage first, a tool input with a "usage" key last', JSON.stringify({ id: 'm', usage, content: [tool] }, null, 1)],
    ['usage last, after such a tool input', JSON.stringify({ id: 'm', content: [tool], usage })],
    ['a tail window that starts inside a string', JSON.stringify({ id: 'm', content: [tool], usage }).slice(20)],
  ])('anthropicUsageIn reads the top-level usage, never a tool input’s: %s', (_n, text) => {
    expect(anthropicUsageIn(text)).toEqual({ input: 5, output: 7, cacheRead: 0, cacheCreation: 0 });
  });

  it.each([
    ['no top-level usage, a tool input with one', JSON.stringify({ id: 'm', content: [tool] })],
    ['a tail window without the top-level usage', JSON.stringify({ id: 'm', usage, content: [tool] }).slice(60)],
    ['not an object', '[1,2]'],
  ])('anthropicUsageIn finds no usage in %s', (_n, text) => {
    expect(anthropicUsageIn(text)).toBeUndefined();
  });

  // Read as the client's SDK reads it (JSON.parse): regexes read `4e3` as 4 and the first of a repeated key, and
  // missed a key spelt with escapes.
  it.each([
    ['a key spelt with escapes', '{"id":"m","\\u0075sage":{"input_tokens":5,"output\\u005ftokens":7}}'],
    ['a count in exponent form', '{"id":"m","usage":{"input_tokens":5,"output_tokens":0.7e1}}'],
    ['a repeated count key: the last holds', '{"id":"m","usage":{"input_tokens":5,"output_tokens":1,"output_tokens":7}}'],
    [
      'a repeated usage key: the last holds',
      '{"id":"m","usage":{"input_tokens":1,"output_tokens":1},"usage":{"input_tokens":5,"output_tokens":7}}',
    ],
  ])('anthropicUsageIn reads as JSON.parse does: %s', (_n, text) => {
    expect(anthropicUsageIn(text)).toEqual({ input: 5, output: 7, cacheRead: 0, cacheCreation: 0 });
  });

  // Without an output count the usage is none: the answer's content is counted (taken as 0, it charged nothing).
  it('anthropicUsageIn takes no count that is not a count, and no usage without an output count', () => {
    expect(anthropicUsageIn('{"usage":{"input_tokens":"5","output_tokens":-7}}')).toBeUndefined();
    expect(anthropicUsageIn('{"usage":{"input_tokens":5,"output_tokens":1e400}}')).toBeUndefined();
    expect(anthropicUsageIn('{"usage":{"input_tokens":5}}')).toBeUndefined();
    expect(anthropicUsageIn('{"usage":{"input_tokens":5,"output_tokens":null}}')).toBeUndefined();
    // Without an input count the prompt is no count of 0: it is counted (relay/usage-tap.ts promptUnread).
    expect(anthropicUsageIn('{"usage":{"output_tokens":7}}')).toEqual({
      input: 0,
      output: 7,
      cacheRead: 0,
      cacheCreation: 0,
      inputUnread: true,
    });
    expect(anthropicUsageIn('{"usage":{"input_tokens":"4000","output_tokens":7}}')).toMatchObject({ input: 0, inputUnread: true });
  });
});

describe('azurePath', () => {
  it.each([
    ['chat', 'gpt-4o-prod', '2024-06-01', '/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-06-01'],
    ['embeddings', 'text-embedding-3-large', undefined, '/openai/deployments/text-embedding-3-large/embeddings?api-version=2024-10-21'],
    [
      'completions',
      'gpt-35.instruct_1',
      '2025-04-01-preview',
      '/openai/deployments/gpt-35.instruct_1/completions?api-version=2025-04-01-preview',
    ],
  ] as const)('%s on %s', (endpoint, deployment, version, path) => {
    expect(azurePath(endpoint, deployment, version)).toEqual({ ok: true, value: path });
  });

  it.each(['..', '../admin', 'a/b', 'a?b', '', 'x'.repeat(65), 'név'])('refuses the deployment %j', (d) => {
    expect(azurePath('chat', d).ok).toBe(false);
  });

  it.each(['latest', '2024-10-21&x=1', '2024-1-1'])('refuses the api-version %j', (v) => {
    expect(azurePath('chat', 'd', v).ok).toBe(false);
  });

  it('sends the key as api-key', () => expect(azureAuthHeader('k')).toEqual({ 'api-key': 'k' }));
});

describe('count_tokens turns', () => {
  it('counts the conversation turns, with the tools as one system turn of JSON', () => {
    const r = countTokensTurns({
      model: 'm',
      system: 'S',
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(r).toEqual({
      ok: true,
      value: [
        { role: 'system', content: '[{"name":"f","input_schema":{"type":"object"}}]' },
        { role: 'system', content: 'S' },
        { role: 'user', content: 'hi' },
      ],
    });
    expect(countTokensBody(12)).toBe('{"input_tokens":12}');
  });

  it('needs no max_tokens, and refuses what is malformed', () => {
    expect(countTokensTurns({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).ok).toBe(true);
    expect(countTokensTurns({ model: 'm', messages: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', param: 'messages' },
    });
  });
});
