/**
 * OpenAI client → Anthropic backend, a system message or a user message's text part of whitespace alone (`"\n"`, a
 * template's blank system prompt, a separator part between an image and its question). OpenAI takes them; Anthropic
 * refuses a text block that holds no non-whitespace text (400 "text content blocks must contain non-whitespace text"),
 * and the translation left out only empty ones (trust 100 did so for an assistant turn): the request was refused for a
 * text that says nothing. Such a text is left out now. The backend here refuses as Anthropic does.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ONE_ANTHROPIC_PROFILE, useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

type Sent = { system?: { type: string; text?: string }[]; messages: { content: string | { type: string; text?: string }[] }[] };

const up = await useUpstream((_req, res, body) => {
  const sent = JSON.parse(body) as Sent;
  const blocks = [...(sent.system ?? []), ...sent.messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content))];
  if (blocks.some((b) => b.type === 'text' && b.text!.trim() === '')) {
    const message = 'messages: text content blocks must contain non-whitespace text';
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('ok', { input_tokens: 5, output_tokens: 1 }));
});
const gw = await useGateway(ONE_ANTHROPIC_PROFILE, { u: up.url });
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const sent = () => JSON.parse(up.seen.at(-1)!.body) as Sent;

describe('texts of whitespace alone are not sent as blocks', () => {
  it('a system or developer message', async () => {
    const c = await openai.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: '\n' },
        { role: 'developer', content: [{ type: 'text', text: ' \t' }] },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(c.choices[0]!.message.content).toBe('ok');
    expect(sent()).not.toHaveProperty('system');
  });

  it("a user message's text part: joined to the text beside it, left out beside none", async () => {
    const c = await openai.chat.completions.create({
      model: 'claude',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
            { type: 'text', text: '\n\n' },
            { type: 'text', text: 'What is this?' },
            { type: 'text', text: '\n' },
            { type: 'text', text: 'Be brief.' },
            { type: 'image_url', image_url: { url: 'https://example.com/b.png' } },
            { type: 'text', text: ' ' },
          ],
        },
      ],
    });
    expect(c.choices[0]!.message.content).toBe('ok');
    expect(sent().messages[0]!.content).toEqual([
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
      { type: 'text', text: '\n\nWhat is this?\n' },
      { type: 'text', text: 'Be brief.' },
      { type: 'image', source: { type: 'url', url: 'https://example.com/b.png' } },
    ]);
  });

  it('an assistant turn of whitespace beside its tool calls (vLLM writes blank lines before them)', async () => {
    const c = await openai.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: '\n\n',
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '21°C' },
      ],
    });
    expect(c.choices[0]!.message.content).toBe('ok');
    expect(sent().messages[1]!.content).toEqual([{ type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Paris' } }]);
  });
});
