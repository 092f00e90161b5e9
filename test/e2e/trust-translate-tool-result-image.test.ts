/**
 * Anthropic client → OpenAI backend, a tool result holding a picture — Claude Code's Read of an image file, a browser
 * tool's screenshot. A chat completions tool message is text only, and the translation refused the request 400: that
 * turn, and every later one of the conversation (its history keeps the result), could not be answered by the backend.
 * The picture now goes in the user turn after the tool messages, as an image_url part (the tool message keeps the
 * result's text); a block that is neither text nor a picture is still refused.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { okChatAnswer, useUpstream } from '../helpers/upstream.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const up = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(okChatAnswer()));
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
const client = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });

describe('a tool result holding a picture, to an OpenAI backend', () => {
  it('the picture goes in the user turn after the tool messages; the text stays the result', async () => {
    const m = await client.messages.create({
      model: 'gpt',
      max_tokens: 16,
      messages: [
        { role: 'user', content: 'what is on screen?' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_a', name: 'screenshot', input: {} },
            { type: 'tool_use', id: 'toolu_b', name: 'title', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_a',
              content: [
                { type: 'text', text: 'Screenshot taken.' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
              ],
            },
            { type: 'tool_result', tool_use_id: 'toolu_b', content: 'Inbox' },
            { type: 'text', text: 'Describe it.' },
          ],
        },
      ],
    });
    expect(m.content).toEqual([{ type: 'text', text: 'ok' }]);
    const sent = (JSON.parse(up.seen.at(-1)!.body) as { messages: unknown[] }).messages;
    expect(sent.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'toolu_a', content: 'Screenshot taken.' },
      { role: 'tool', tool_call_id: 'toolu_b', content: 'Inbox' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          { type: 'text', text: 'Describe it.' },
        ],
      },
    ]);
  });
});
