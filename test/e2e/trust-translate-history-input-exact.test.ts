/**
 * A client's history sent back through a translation, holding the model's own tool call with a number JavaScript cannot
 * hold exactly (a 19-digit id, as a client reading numbers exactly — Python's json — keeps it). The translation parsed
 * the call and wrote it again: `12345678901234567891` reached the backend as `12345678901234567000`, so the model read
 * its own call with an id it never wrote, beside the result for the real one. Either way the call now goes as the client
 * wrote it: an Anthropic client's tool_use input as an OpenAI backend's `arguments`, an OpenAI client's `arguments` as
 * an Anthropic backend's tool_use input. The judge is the backend's raw body.
 */
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-history-input-exact';
const INPUT = '{"account": 12345678901234567891, "amount": 10.50, "note": "\\u00e9\\ud83d\\ude00 ]}"}';

const openai = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER));
const anthropic = await useUpstream((_req, res) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('ok', { input_tokens: 1, output_tokens: 1 })),
);
const toOpenAI = await useGateway(scriptedBackendProfile(KEY), { u: openai.url });
const toAnthropic = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: anthropic.url });

describe("the model's own tool call, sent back in a translated history", () => {
  it("an Anthropic client's tool_use input reaches an OpenAI backend as the client wrote it", async () => {
    // As a Python client writes it: the blocks before and after, a text block with brackets, blanks between tokens.
    const body =
      '{"model":"gpt","max_tokens":5,"messages":[{"role":"user","content":"pay"},' +
      ` {"role": "assistant", "content": [{"type":"text","text":"paying ]} "}, {"type":"tool_use","id":"toolu_1","name":"pay","input": ${INPUT}},` +
      ' {"type":"tool_use","id":"toolu_2","name":"noop","input":{}}]},' +
      ' {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"paid"},{"type":"tool_result","tool_use_id":"toolu_2","content":"ok"}]}]}';
    const res = await fetch(`${toOpenAI.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body,
    });
    expect(res.status).toBe(200);
    await res.text();
    const sent = JSON.parse(openai.seen.at(-1)!.body) as { messages: { tool_calls?: { function: { arguments: string } }[] }[] };
    const calls = sent.messages.find((m) => m.tool_calls)!.tool_calls!.map((c) => c.function.arguments);
    expect(calls).toEqual([INPUT, '{}']);
  });

  it("an OpenAI client's arguments reach an Anthropic backend as the client wrote them", async () => {
    const call = (id: string, name: string, args: string) => ({ id, type: 'function', function: { name, arguments: args } });
    const body = JSON.stringify({
      model: 'claude',
      messages: [
        { role: 'user', content: 'pay' },
        { role: 'assistant', content: null, tool_calls: [call('call_1', 'pay', INPUT), call('call_2', 'noop', '')] },
        { role: 'tool', tool_call_id: 'call_1', content: 'paid' },
        { role: 'tool', tool_call_id: 'call_2', content: 'ok' },
      ],
    });
    const res = await fetch(`${toAnthropic.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body,
    });
    expect(res.status).toBe(200);
    await res.text();
    const sent = anthropic.seen.at(-1)!.body;
    expect(sent).toContain(`"input":${INPUT}}`);
    const blocks = (JSON.parse(sent) as { messages: { content: { type: string; input?: unknown }[] | string }[] }).messages[1]!.content;
    expect(blocks).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'pay', input: JSON.parse(INPUT) },
      { type: 'tool_use', id: 'call_2', name: 'noop', input: {} },
    ]);
  });
});
