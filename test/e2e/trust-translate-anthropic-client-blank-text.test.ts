/**
 * OpenAI backend → Anthropic client, an answer whose content is whitespace beside its tool calls: vLLM's tool parsers
 * leave the blank lines the model wrote before a call as content (`"\n\n"`). The translation gave the client a text
 * block of them; the client sends its history back as given, and on an Anthropic target (another target, a fallback)
 * that turn was Anthropic's 400 ("text content blocks must contain non-whitespace text"), every later turn too. The
 * calls now come without it, streamed or not; whitespace before text is kept as part of that text.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useStrictAnthropic, useUpstream } from '../helpers/upstream.js';

/** An OpenAI backend answering `content` (in the pieces a stream carries) and, if `call`, one call of get_weather. */
const backend = (pieces: string[], call: boolean) =>
  useUpstream((_req, res, body) => {
    const tc = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
    const finish = call ? 'tool_calls' : 'stop';
    const usage = { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 };
    if (JSON.parse(body).stream === true) {
      const chunk = (o: object) =>
        `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', ...o })}\n\n`;
      let s = '';
      for (const content of pieces) s += chunk({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });
      if (call) s += chunk({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...tc }] }, finish_reason: null }] });
      s += `${chunk({ choices: [{ index: 0, delta: {}, finish_reason: finish }] })}${chunk({ choices: [], usage })}data: [DONE]\n\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(s);
      return;
    }
    const message = { role: 'assistant', content: pieces.join(''), ...(call ? { tool_calls: [tc] } : {}) };
    const answer = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, message, finish_reason: finish }],
      usage,
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });

const calls = await backend(['\n', '\n'], true);
const texts = await backend(['\n\n', 'Hello', ' there.'], false);
/** Refuses as Anthropic does a text block of whitespace alone. */
const claude = await useStrictAnthropic((blocks) =>
  blocks.some((b) => b.type === 'text' && b.text!.trim() === '')
    ? 'messages: text content blocks must contain non-whitespace text'
    : undefined,
);
const gw = await useGateway(
  `
version: 1
backends:
  calls: { url: "{{calls}}" }
  texts: { url: "{{texts}}" }
  claude: { url: "{{claude}}", kind: anthropic }
models:
  calls: { targets: [{ backend: calls }] }
  texts: { targets: [{ backend: texts }] }
  claude: { targets: [{ backend: claude }] }
`,
  { calls: calls.url, texts: texts.url, claude: claude.url },
);
const client = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
const ask = { role: 'user' as const, content: 'Weather in Paris?' };
const tools = [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }];
const answer = (model: string, stream: boolean) => {
  const params = { model, max_tokens: 50, messages: [ask], tools };
  return stream ? client.messages.stream(params).finalMessage() : client.messages.create(params);
};

describe('whitespace beside tool calls, from an OpenAI backend to an Anthropic client', () => {
  it.each([false, true])('the calls alone, and the next turn on an Anthropic backend is answered (streamed: %s)', async (stream) => {
    const m = await answer('calls', stream);
    expect(m.content).toEqual([{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }]);
    const next = await client.messages.create({
      model: 'claude',
      max_tokens: 50,
      tools,
      messages: [
        ask,
        { role: 'assistant', content: m.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: '21°C' }] },
      ],
    });
    expect(next.content).toEqual([{ type: 'text', text: 'Sunny.' }]);
  });

  it.each([false, true])('whitespace before text stays that text (streamed: %s)', async (stream) => {
    const m = await answer('texts', stream);
    expect(m.content).toEqual([{ type: 'text', text: '\n\nHello there.' }]);
  });
});
