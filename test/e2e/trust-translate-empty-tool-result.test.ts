/**
 * OpenAI client → Anthropic backend, a tool that printed nothing: its tool message is `content: ""` (a shell command
 * with no output, a write-only tool), or whitespace alone, which OpenAI takes. The translation sent it as the
 * tool_result's string content; Anthropic reads that string as a text block and refuses an empty one (400 "messages:
 * text content blocks must be non-empty", livekit/agents#1789, anomalyco/opencode#15371) or one of whitespace — so the
 * turn after every such call of an agent's tool loop failed. A tool_result's content is optional: it is now left out.
 * The backend here refuses as Anthropic does.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-empty-tool-result';
type Block = { type: string; tool_use_id?: string; content?: unknown };
const up = await useUpstream((_req, res, body) => {
  const messages = (JSON.parse(body) as { messages: { content: string | Block[] }[] }).messages;
  const results = messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content.filter((b) => b.type === 'tool_result')));
  for (const r of results) {
    if (typeof r.content === 'string' && r.content.trim() === '') {
      const message =
        r.content === ''
          ? 'messages: text content blocks must be non-empty'
          : 'messages: text content blocks must contain non-whitespace text';
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
      return;
    }
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('Done.', { input_tokens: 9, output_tokens: 2 }));
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });

describe('a tool message of no text, to an Anthropic backend', () => {
  it('is a tool_result without content, and the turn is answered', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const call = (id: string, command: string) => ({
      id,
      type: 'function' as const,
      function: { name: 'sh', arguments: JSON.stringify({ command }) },
    });
    const answer = await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'user', content: 'make the directory, then list it' },
        { role: 'assistant', content: null, tool_calls: [call('call_1', 'mkdir out'), call('call_2', 'ls out'), call('call_3', 'pwd')] },
        { role: 'tool', tool_call_id: 'call_1', content: '' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '\n' }] },
        { role: 'tool', tool_call_id: 'call_3', content: '/work' },
      ],
    });
    expect(answer.choices[0]!.message.content).toBe('Done.');
    const sent = JSON.parse(up.seen.at(-1)!.body) as { messages: { content: Block[] }[] };
    expect(sent.messages[2]!.content).toEqual([
      { type: 'tool_result', tool_use_id: 'call_1' },
      { type: 'tool_result', tool_use_id: 'call_2' },
      { type: 'tool_result', tool_use_id: 'call_3', content: '/work' },
    ]);
  });
});
