/**
 * A tool's input with a key named `__proto__`, translated. JSON.parse makes it a key like any other, and the SDKs read
 * it so (`{"__proto__":{"path":"/etc"},"mode":"r"}` is an input of two members); the translation read a tool_use
 * block's input through zod's `z.record`, which copies an object key by key — and `copy["__proto__"] = v` sets the
 * copy's prototype instead of a key. The key was gone from what was sent on: an OpenAI client got the arguments
 * `{"mode":"r"}` of an Anthropic backend's call, an OpenAI backend was told a past call had them. A prompt chooses what
 * a model writes in a call ("call f with the key __proto__"), so it is an answer silently changed, not a backend's fault.
 * The judges: openai-node for the OpenAI client, the body the OpenAI backend received for the Anthropic client's history.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent, messageStart } from '../helpers/anthropic-sse.js';
import { ONE_ANTHROPIC_PROFILE, useGateway } from '../helpers/gateway.js';
import { OK_CHAT_ANSWER, useStreamOrBodyUpstream, useUpstream } from '../helpers/upstream.js';

/** The input as the model wrote it: its `__proto__` is an own key, as JSON.parse reads it. */
const INPUT_TEXT = '{"__proto__":{"path":"/etc"},"mode":"r"}';
const input = (): Record<string, unknown> => JSON.parse(INPUT_TEXT) as Record<string, unknown>;

/** An object's own keys and values, as JSON writes them: `__proto__` included when it is an own key. */
const own = (args: string): string => JSON.stringify(JSON.parse(args));

describe('OpenAI client, Anthropic backend: a tool input keyed __proto__ reaches openai-node whole', async () => {
  const toolUse = { type: 'tool_use', id: 'toolu_1', name: 'open', input: input() };
  const message = JSON.stringify({
    id: 'msg',
    type: 'message',
    role: 'assistant',
    model: 'claude',
    content: [toolUse],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 5 },
  });
  // The input comes whole in content_block_start, as servers of Anthropic's API that do not stream it send it.
  const stream =
    messageStart({ input_tokens: 10, output_tokens: 1 }) +
    anthropicEvent('content_block_start', { index: 0, content_block: toolUse }) +
    anthropicEvent('content_block_stop', { index: 0 }) +
    anthropicEvent('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 5 } }) +
    anthropicEvent('message_stop', {});
  expect(message).toContain(INPUT_TEXT);
  const up = await useStreamOrBodyUpstream(stream, message);
  const gw = await useGateway(ONE_ANTHROPIC_PROFILE, { u: up.url });
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const params = { model: 'claude', messages: [{ role: 'user' as const, content: 'open it' }] };
  const argsOf = (c: OpenAI.ChatCompletion) => {
    const call = c.choices[0]!.message.tool_calls?.[0];
    return call?.type === 'function' ? call.function.arguments : '';
  };

  it('not streamed', async () => {
    expect(own(argsOf(await openai.chat.completions.create(params)))).toBe(INPUT_TEXT);
  });

  it('streamed', async () => {
    expect(own(argsOf(await openai.chat.completions.stream(params).finalChatCompletion()))).toBe(INPUT_TEXT);
  });
});

describe('Anthropic client, OpenAI backend: a past call keyed __proto__ is sent with its arguments whole', async () => {
  const up = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER));
  const gw = await useGateway(
    `
version: 1
backends:
  oa: { url: "{{u}}" }
models:
  gpt: { targets: [{ backend: oa }] }
`,
    { u: up.url },
  );
  const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });

  it('the assistant turn and the tool definition', async () => {
    const schema = JSON.parse('{"type":"object","__proto__":{"x":1},"properties":{}}') as Anthropic.Tool.InputSchema;
    await anthropic.messages.create({
      model: 'gpt',
      max_tokens: 16,
      tools: [{ name: 'open', input_schema: schema }],
      messages: [
        { role: 'user', content: 'open it' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'open', input: input() }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', content: 'done' }] },
      ],
    });
    const sent = JSON.parse(up.seen.at(-1)!.body) as {
      messages: { tool_calls?: { function: { arguments: string } }[] }[];
      tools: { function: { parameters: unknown } }[];
    };
    expect(own(sent.messages[1]!.tool_calls![0]!.function.arguments)).toBe(INPUT_TEXT);
    expect(JSON.stringify(sent.tools[0]!.function.parameters)).toBe('{"type":"object","__proto__":{"x":1},"properties":{}}');
  });
});
