/**
 * OpenAI client → Anthropic backend, content parts that are not text in a system, developer or tool message. Only
 * text was read there and any other part was left out without a word: a tool's result of a text and an image reached
 * the model as the text alone (its answer read as if the tool had returned no image), a system message's file part
 * was gone. A user message's part aigw cannot send is a 400 naming it; these are now too, and nothing is sent.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-parts';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('ok', { input_tokens: 5, output_tokens: 1 }));
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });

const toolTurn = (content: unknown): OpenAI.ChatCompletionMessageParam[] => [
  { role: 'user', content: 'Take a screenshot.' },
  { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'shot', arguments: '{}' } }] },
  { role: 'tool', tool_call_id: 'call_1', content: content as string },
];

describe('parts that are not text where only text is read', () => {
  it.each([
    [
      'an image in a tool result',
      toolTurn([
        { type: 'text', text: 'the screen:' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
      ]),
      'messages.2.content.1.type',
    ],
    [
      'a file part in a system message',
      [
        {
          role: 'system',
          content: [
            { type: 'text', text: 'Use the file.' },
            { type: 'file', file: { file_id: 'file-1' } },
          ],
        },
        { role: 'user', content: 'hi' },
      ],
      'messages.0.content.1.type',
    ],
    [
      'an image in a developer message',
      [
        { role: 'developer', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
        { role: 'user', content: 'hi' },
      ],
      'messages.0.content.0.type',
    ],
  ])('%s → 400 naming the part, nothing sent', async (_name, messages, param) => {
    const before = up.seen.length;
    const err = await client.chat.completions
      .create({ model: 'claude', messages: messages as OpenAI.ChatCompletionMessageParam[] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe(param);
    expect(up.seen.length).toBe(before);
  });

  it('text parts are still joined, as before', async () => {
    await client.chat.completions.create({
      model: 'claude',
      messages: toolTurn([
        { type: 'text', text: 'a' },
        { type: 'text', text: 'b' },
      ]),
    });
    const sent = JSON.parse(up.seen.at(-1)!.body) as { messages: { content: { content?: unknown }[] }[] };
    expect(sent.messages[2]!.content[0]!.content).toBe('ab');
  });
});
